"""扩散模型标签页的简体中文（并入 zh_cn.py 的目录：genai/locales/__init__.py）。术语：扩散模型、
前向过程、反向过程、去噪、噪声调度、无分类器引导、采样步数。"""
CODE = "zh-CN"

STRINGS = {
    'app.tab_diffusion': '扩散模型',
    'diffusion.explain': r"""
### 扩散模型如何学习
**前向过程**用 $T = 1000$ 小步高斯噪声一点点毁掉一个数字；走完最后一步，数字就一点也不剩了。任一步 $t$
都有闭式解（Ho 等，2020，式 4）：

$$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, \qquad \epsilon \sim \mathcal{N}(0, I)$$

网络 $\epsilon_\theta$（一个小型 U-Net）看到带噪的 $x_t$、步数 $t$ 和数字的标签 $y$，学着说出加进去的是哪份噪声，
用的是**简化损失**（式 14）：

$$L_\text{simple} = \mathbb{E}_{t,\,x_0,\,\epsilon}\,\big\|\,\epsilon - \epsilon_\theta(x_t, t, y)\,\big\|^2$$

（`lesson` 预设的网络改为输出 $v = \sqrt{\bar\alpha_t}\,\epsilon - \sqrt{1-\bar\alpha_t}\,x_0$（Salimans 和 Ho，2022）：
信息相同，但更看重噪声最大的那些步，数字的形状正是在那里决定的；训练几百步就能画出数字。
随附模型最后 8,000 步把每一步的损失乘以 $1/(1 + \mathrm{SNR}_t) = 1 - \bar\alpha_t$（Choi 等，2022）：
少看几乎干净、只是把笔画描清的最后几步，多看笔画定形的嘈杂中段；数字旁的离散墨点因此降到了真实数字的水平。）

采样时，**反向过程**从纯噪声出发，每一步去掉一点预测出的噪声。完整的链（DDPM）要走全部 1000 步；
**DDIM**（Song 等，2021）沿同一条路径只跳几步；**UniPC**（Zhao 等，2023，默认采样器）还利用前几步的猜测，
大约只需 DDIM 一半的步数。**无分类器引导**（Ho 和 Salimans，2022）把同一个网络问两次，
一次带标签、一次不带，再朝远离“不带标签的猜测”的方向推：
$\hat\epsilon = \epsilon_\theta(x_t, t, \varnothing) + s\,\big(\epsilon_\theta(x_t, t, y) - \epsilon_\theta(x_t, t, \varnothing)\big)$
（$s$ = 0：任意数字；1：所要的数字；大于 1：更像所要的数字）。大于 1 的引导只用在链的中段
$0.5\,T \le t < 0.9\,T$（Kynkäänniemi 等，2024）：开头用它只会把纯噪声推向一个千篇一律的数字，结尾用它只会让笔画变粗。
""",
    'diffusion.digit': '数字',
    'diffusion.digit_each': '依次画每个数字（按列 0-9）',
    'diffusion.guidance': '引导强度 s',
    'diffusion.guidance_info': '0 忽略标签，1 按标签画，越大越确定地画出所要的数字、笔画也越粗',
    'diffusion.steps': '采样步数（UniPC、DDIM）',
    'diffusion.steps_info': '步数越少越快，也越差：用 UniPC 时这个模型 5 步就能画出像样的数字，10 步最好；DDIM 需要更多步',
    'diffusion.sampler': '采样器',
    'diffusion.sampler_info': 'UniPC 和 DDIM 按上面的步数采样；DDPM 总是走全部 1000 步',
    'diffusion.unipc': 'UniPC（默认）',
    'diffusion.ddim': 'DDIM（经典的少步采样器）',
    'diffusion.ddpm': 'DDPM（全部 1000 步：慢）',
    'diffusion.samples': '样本',
    'diffusion.reverse_title': '反向过程，一步一步看',
    'diffusion.reverse_help': '用上面的设置从纯噪声画出八个数字。左：当前的 $x_t$；右：这一步网络对最终数字的猜测 $\\hat x_0$。下方：每个数字沿着链的样子，从噪声（左）到数字（右）。',
    'diffusion.reverse': '一步一步去噪',
    'diffusion.x_t': '当前的 x_t',
    'diffusion.x_t_at': '第 {i} 步（共 {total} 步）之后，t = {t} 处的 x_t',
    'diffusion.x0_hat': '预测出的最终数字 x̂₀',
    'diffusion.chain': '沿着链：噪声 → 数字',
    'diffusion.forward_title': '前向过程：网络要学会撤销的东西',
    'diffusion.forward_help': r"""选一个留出数字和一个步数 $t$：数字一次性被加噪到 $x_t$（上面的式 4）。
训练时网络看到成百万个这样的样本，并被要求说出其中的噪声。""",
    'diffusion.which_digit': '留出数字（0-9）',
    'diffusion.t': '步数 t',
    'diffusion.noisy': 'x_t',
    'diffusion.forward_strip': '同一个数字、同一份噪声，t = 0 … 999',
    'diffusion.forward_info': '在 t = {t}：数字还剩 √ᾱ = {signal}，噪声的标准差为 {noise}；数字占信号功率的 {share}。条带中 t = {ts}。',
    'diffusion.compare_steps_title': '步数与质量、时间',
    'diffusion.compare_steps_help': '同样十份起始噪声，分别用 1、2、5、10、25、50 步 UniPC 画出（每行一种），并计时；数字分类器给出其中有几个被认成所要的数字。',
    'diffusion.compare_steps': '比较不同步数',
    'diffusion.steps_grid': '行：1、2、5、10、25、50 步；列：数字 0-9',
    'diffusion.steps_table': '时间与质量',
    'diffusion.col_steps': '步数',
    'diffusion.col_seconds': '秒（10 个数字）',
    'diffusion.col_read': '认作所要数字',
    'diffusion.families_title': '生成对抗网络、变分自编码器与扩散模型的对比',
    'diffusion.families_table': '随附的图像模型各画 1000 个数字，用同一个分类器与同样 1000 个留出数字比较；旁边是另外 1000 个留出数字（真实数字：模型能达到的最接近程度）和 1000 个训练数字（`python bench/diffusion.py compare`）：',
    'diffusion.col_model': '模型',
    'diffusion.col_fid': 'FID（对 1000 个留出数字）',
    'diffusion.col_kid': 'KID（核距离）',
    'diffusion.col_stray': '离散墨点占比',
    'diffusion.col_memorised': '到最近训练数字的距离（1 = 与真实数字一样远）',
    'diffusion.col_fid_floor': 'FID / 真实数字自身的 FID',
    'diffusion.col_class_entropy': '类别熵',
    'diffusion.col_confident': '置信度 > 0.9',
    'diffusion.col_inception_score': 'Inception 分数',
    'diffusion.col_params_m': '参数（百万）',
    'diffusion.col_train_min': '训练（CPU 分钟）',
    'diffusion.col_draw64_s': '64 个数字（秒，单个 CPU 线程）',
    'diffusion.families_takeaway': '要点：生成对抗网络和变分自编码器画一个数字只需让网络算一遍，比扩散模型快一百倍以上（扩散模型每一步都要算一到两遍：画 64 个数字约 1 秒，条件 GAN 只要 0.01 秒）。没有一个模型像另一批真实数字那样接近留出数字（FID 74.5）：自条件 DCGAN 最接近（真实数字自身的 1.85 倍），其次是扩散模型（1.94）和条件 GAN（2.19），变分自编码器最模糊（5.3 倍；它把拿不准的地方取平均：只有 65% 高置信度）。扩散模型只用一个普通的回归损失、不用双人博弈就做到了这一点，也不需要第二个网络就能接受控制（指定数字、引导强度）。它在数字旁留下的离散墨点现已接近真实数字（0.20% 对 0.17%）：把损失的权重移向链的嘈杂中段（笔画在那里定形），墨点从 0.46% 降了下来，代价是 FID 略差（之前为 1.86 倍）。训练数字与留出数字相距很远（FID 156）：分类器是用它们训练的，能把它们区分开，所以这里用分类器从未见过的留出数字来衡量真实数字。没有一个模型在整体复制训练数字：样本到最近训练数字的距离与真实留出数字差不多（中位数的 0.90 到 1.07 倍），不过 DCGAN 有 4% 的样本比 99% 的真实数字更接近某个训练数字。',
    'diffusion.train_title': '### 现场训练扩散模型',
    'diffusion.preset_info': 'lesson / cpu-fast（宽度为 8 的 U-Net，预测 v 而不是噪声：单核约 2 分钟就能画出数字，700 步约 3 分钟）、small（随附的模型）、medium（适合 GPU）、tiny（测试用）',
    'diffusion.live': '训练过程中从固定噪声画出的数字，按列 0-9',
    'diffusion.loss_plot': '去噪损失（式 14；lesson 预设用它的 v 形式）',
    'diffusion.info_model': '条件扩散模型，U-Net 宽度 {width}，T = {T}，{schedule} 噪声调度，引导强度 {guidance:g}',
    'diffusion.info_match': '所要数字 {share}',
    'diffusion.took': '{n} 个数字用时 {seconds} 秒（{steps} 步 {sampler}）',
    'diffusion.experiment': r"""
**引导实验：引导强度与步数。** 选数字 4、种子 1。分别用引导强度 $s$ = 0、1、3、8 采样。为 0 时标签被忽略，画出什么数字都有；
为 1 时大多是 4，有些歪歪扭扭；为 3（默认值）时很干净；为 8 时笔画更粗、彼此更像：引导用多样性换来了忠实度。
（在 200 个按 0-9 指定的数字上、UniPC 10 步测得：s = 0、1、2、3、8 时，分类器认作所要数字的比例为 13%、95%、100%、100%、100%，
而每个数字的墨水量从 0.15 增加到 0.18；真实数字为 0.16。这里的引导只作用在链的中段；若每一步都引导，笔画会更粗。）
再打开“步数与质量、时间”：1 步只得到斑点状的噪声（网络从纯噪声对 $x_0$ 的猜测是一团模糊），2 步是带噪、模糊的数字，
5 步已是干净的数字、只剩几处杂点，超过 10 步后数字不再变化，时间却一直在增加。再选 DDIM 采样器、用 5 步采样：
同一个网络，换一个更简单的求解器，数字就差得多。
""",
    'err.p_uncond': 'p_uncond（丢弃标签的比例）必须在 0 到 1 之间（收到 {value}）',
    'err.digit_choice': '请选择 0 到 9 的数字，或“依次画每个数字”（收到 {value}）',
    'err.sampler_choice': '请选择采样器 “unipc”、“ddim” 或 “ddpm”（收到 {value}）',
    'err.diffusion_needs_labels': '条件扩散模型需要带标签的图像；请选择一个带标签的数据集',
}

"""简体中文: the same keys as en.py, written for students. Terms as Chinese textbooks use them:
生成对抗网络 (GAN), 生成器, 判别器, 变分自编码器 (VAE), 潜在空间, 证据下界 (ELBO), 自回归, 温度,
微调, 低秩适配 (LoRA). Equations, model names and preset names stay as in English."""
CODE = "zh-CN"
NAME = "简体中文"

STRINGS = {
    'app.intro': r"""# 生成式 AI 实验室
现场训练生成模型并从中采样：学会写数字的生成对抗网络（GAN）、可以在潜在空间里漫游的变分自编码器（VAE）、
像莎士比亚一样写作的小型 GPT。每个标签页都能在 CPU 上运行；有 GPU 时训练更快。""",
    'gan.explain': r"""
### 生成对抗网络如何学习
生成器 $G$ 把随机噪声 $z$ 变成一张图像；判别器 $D$ 努力分辨真实图像和生成的图像。二者进行一场双人博弈
（Goodfellow 等，2014）：

$$\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

每个训练步分两半：**更新 D**（在真实数字上提高 $D(x)$，在伪造数字上降低 $D(G(z))$），然后**更新 G**
（调整 $G$，让 $D$ 把它的伪造数字判为真实）。*hinge* 和 *WGAN-GP* 损失是给同一场博弈打分的其他方式。
质量用这里训练的数字分类器来衡量：**FID**（越低越好：生成数字的特征离真实数字的特征有多远）和
**类别熵**（1 = 十个数字出现得一样多；接近 0 = *模式崩溃*，生成器只会画少数几种数字）。
""",
    'gan.experiment': r"""
**引导实验：学得太快的判别器。** 用种子 0 训练 `dcgan-bce` 预设（BCE 损失，判别器带批归一化，
如 Radford 等 2016 年所写）600 步。再用同一个种子训练一次，把*判别器学习率*调大十倍（0.002），
然后在*训练监视器*中叠加这两次运行（指标 `D(x)`、`D(G(z))`、`heldout_fid`）。要观察的是：判别器跑在前面时，
D(x) 停在 1 附近，D(G(z)) 停在 0 附近，生成器的损失上升，每一步学到的更少；看看 FID 是否下降得更慢、
类别直方图是否变窄。然后用 `dcgan` 预设（hinge 损失，谱归一化的判别器）重复：谱归一化限制了判别器能跑多快，
这正是它成为本页默认设置的原因。
""",
    'vae.explain': r"""
### 变分自编码器如何学习
编码器把图像 $x$ 变成编码上的一个高斯分布 $q(z\mid x) = \mathcal{N}(\mu, \sigma^2)$；解码器把编码 $z$
变回像素概率 $p(x\mid z)$。训练最大化*证据下界*（ELBO，Kingma 与 Welling，2014）：

$$\log p(x) \;\ge\; \underbrace{\mathbb{E}_{q(z\mid x)}\big[\log p(x\mid z)\big]}_{-\,\text{reconstruction}} \;-\; \underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal{N}(0, I)\big)}_{\text{KL}}$$

所以损失是 $\text{recon} + \beta\,\text{KL}$（$\beta = 1$ 是普通的 VAE，其他取值是 $\beta$-VAE）。
**两项都按每张图像报告，单位是奈特（nats）：** 重建项在一张图像的 784 个像素上对 $-\log p$ *求和*，
KL 项在 $z$ 的各个维度上*求和*；然后两项都在一个批次的图像上*取平均*。（如果改为在像素上取平均，
重建项会缩小 784 倍而 KL 项不变：相当于一个 $\beta = 784$ 的 $\beta$-VAE，数字会很模糊。）
灰度值被当作伯努利目标，所以这些数字不能与*二值化* MNIST 上发表的结果直接比较。
""",
    'vae.experiment': r"""
**引导实验：$\beta$ = 0.1 与 $\beta$ = 4。** 用 $\beta$ = 0.1 训练 `conv-2d` 预设 1,000 步，
再用 $\beta$ = 4 和同一个种子训练一次；在页面顶部的*检查点*菜单中分别选择这两次运行。$\beta$ = 0.1 时
重建很清晰但 KL 很大：编码散布到远离 $\mathcal{N}(0, I)$ 的地方，所以*从先验中采样*会落进解码器从未见过的空隙，
画出来一团糟。$\beta$ = 4 时 KL 很小、重建模糊，但潜在地图很平滑：相邻的数字彼此融合（4 渐渐变成 9），
先验样本看起来像数字，虽然有些模糊。
""",
    'vae.map_help': r"""点击**地图**上任意一处来解码那个点，或者拖动滑块。散点图显示编码器把留出数字（它们的均值 $\mu$）
放在哪里，按类别着色：把鼠标停在一个点上可以查看它。""",
    'vae.digit_tip': '请先画一个数字：点击画笔工具后再画（或点击上方图库中的一个数字）',
    'vae.no_ckpt': '还没有 VAE 检查点：在下方“现场训练 VAE”中训练一个，然后在检查点菜单中选择它。',
    'text.explain': r"""
### 语言模型如何写作
自回归模型把一段文本的概率拆成每个词元（token）一次预测：

$$p(x_1, \dots, x_T) = \prod_{t=1}^{T} p(x_t \mid x_{<t})$$

为了续写提示，它从 $p(\cdot \mid x_{<t})$ 中抽取下一个词元，接在后面，然后重复。**温度** $\tau$ 在抽取之前
重塑这个分布，$p_i \propto \exp(\text{logit}_i / \tau)$：小于 1 时分布更尖锐（更稳妥、更重复），大于 1 时更平坦
（更出人意料、错误更多）。**Top-k** 只保留最可能的 $k$ 个词元；**top-p** 保留概率之和达到 $p$ 的最小集合。
随附的模型是一个小型 GPT，每次读写一个*字符*，在这里用 Tiny Shakespeare 训练。来自 Hugging Face Hub 的
预训练模型（例如联网时的 `distilgpt2`）读取的是大约四个字符长的*词元*。

**微调**是在新文本上继续训练一个已训练好的模型。完整微调会改变每一个权重；**LoRA**（低秩适配）冻结每个权重
矩阵 $W$，只学习一个小的改变量 $\frac{\alpha}{r} BA$，其中 $B$ 和 $A$ 的秩为 $r$，因此它只训练（和保存）
百分之几的参数，并且恰好从预训练模型所在的位置开始。
""",
    'text.experiment': r"""
**引导实验：一个提示，三种温度。** 输入 `ROMEO:`，然后点击*同一提示，三种温度*（三者使用同一个种子）。
温度 0.5 时文本整齐，但会在常用词上打转；1.0 时读起来像训练文本；1.5 时会编造单词、随意换行。再看看 1.5
那段样本的概率视图：颜色深（不太可能）的字符就是它走偏的地方。
""",
    'text.fine_tune_experiment': r"""
**引导实验：微调学到了什么，又忘了什么。** 在上方选择随附的 GPT，然后在你自己的一段现代文本（一篇短文、
一份许可协议、一页课本；粘贴几千词）上选择*微调所选模型*，300 步，勾选 *LoRA*。看着你的文本上的留出损失下降，
然后在上方选择*你的运行*并续写 `ROMEO:`：还剩下多少莎士比亚？取消勾选 LoRA（训练每一个权重）再运行一次，
比较两者：各自检查点的大小、损失下降了多少，以及在 `ROMEO:` 之后各写了什么。
""",
    'monitor.intro': r"""
### 训练监视器
你在这个浏览器标签页中启动的每一次运行，以及从命令行启动的运行，都在这里实时显示。选择多次运行来叠加它们的
曲线；*平滑*是指数移动平均（像 TensorBoard 一样做了去偏），画在浅色的原始曲线之上，所以平滑永远不会掩盖真相。
步数滑块可以回放一次运行的样本。已停止的运行可以从最后一个检查点恢复，或者分叉：同样的权重、修改后的设置，
作为一次新的运行。

*与全班共享*会给出一个链接：每个打开它的人（或在这里选择这次运行、标记为*观看中*的人）都能实时看到这次运行，
在投影仪和每块屏幕上，只花一次运行的算力。观看者不能暂停、停止或修改它；*分叉*会给他们一个属于自己的运行。
""",
    # page
    'app.tab_gan': '图像生成对抗网络', 'app.tab_vae': '变分自编码器潜在空间', 'app.tab_text': '文本续写',
    'app.tab_monitor': '训练监视器', 'app.device': '设备',
    'app.language': '语言：页面跟随浏览器的语言（English 或简体中文）；要切换，请打开页面底部的*设置*（Settings → Language）。',
    # shared
    'common.checkpoint': '检查点', 'common.checkpoint_info': '随附的模型，以及你在下方训练的运行',
    'common.seed': '随机种子', 'common.start': '开始', 'common.pause_resume': '暂停 / 继续', 'common.stop': '停止',
    'common.no_run': '还没有运行。', 'common.data_set': '数据集', 'common.model_preset': '模型预设',
    'common.steps': '步数', 'common.batch_size': '批大小', 'common.learning_rate': '学习率',
    'common.latent_size': '潜在维度 (z)', 'common.frames': '帧数', 'common.animated': '动画',
    # GAN
    'gan.n_samples': '样本数量', 'gan.seed_info': '同一个种子，同样的数字',
    'gan.digit': '数字（仅条件 GAN）', 'gan.digit_any': '任意', 'gan.sample': '采样', 'gan.samples': '样本',
    'gan.walk_title': '潜在漫步：从一个种子的噪声平滑过渡到另一个', 'gan.from_seed': '起始种子',
    'gan.to_seed': '终止种子', 'gan.walk': '漫步', 'gan.strip': '条带', 'gan.train_title': '### 现场训练生成对抗网络',
    'gan.preset_info': 'lesson（单核约 20 秒画出数字）、mlp、dcgan、cdcgan（条件式）、cpu-fast',
    'gan.loss': '损失', 'gan.lr_g': '生成器学习率', 'gan.lr_d': '判别器学习率',
    'gan.upload': '你的图像（PNG/JPEG 文件或 zip）', 'gan.upload_choice': '你的图像（上传）',
    'gan.live': '固定噪声下的样本', 'gan.losses_plot': '生成器与判别器的损失', 'gan.d_plot': 'D(x) 与 D(G(z))',
    'gan.fid_plot': '分类器 FID（留出数字）', 'gan.hist_plot': '样本的类别直方图（最新）',
    'gan.replay': '回放：某个快照时的样本网格', 'gan.export_gif': '把历史导出为 GIF', 'gan.gif': 'GIF',
    # VAE
    'vae.prior': '从先验 z ~ N(0, I) 中采样', 'vae.interp_title': '### 在两个数字之间插值',
    'vae.interp_help': '点击下方两个留出数字，或者自己画：点击画板工具栏中的**画笔**，然后用鼠标画一个大大的数字'
                       '（垃圾桶图标会清空画板）。你也可以在选中的数字上继续画。',
    'vae.gallery': '留出数字：点击一个放入 A 或 B', 'vae.pad_a': '数字 A', 'vae.pad_b': '数字 B',
    'vae.target': '点击的数字放入', 'vae.target_info': '每次点击后会切换到另一个',
    'vae.linear': '线性', 'vae.slerp': '球面插值 (slerp)', 'vae.path': '在 z 中的路径',
    'vae.path_info': 'slerp 保持先验样本所具有的范数', 'vae.interpolate': '插值',
    'vae.recon_a': '模型眼中的 A（28x28）→ 它的重建',
    'vae.recon_b': '模型眼中的 B（28x28）→ 它的重建',
    'vae.strip': '从 A 的编码到 B 的编码（编码器均值 μ）', 'vae.map_title': '### 潜在地图',
    'vae.map': 'z 的解码地图（点击以解码一个点）', 'vae.scatter': '留出数字的均值 μ',
    'vae.draw_map': '绘制地图', 'vae.decode': '解码', 'vae.decoded': '解码出的数字',
    'vae.start_gallery': '或者从一个留出数字的编码开始：点击一个', 'vae.train_title': '### 现场训练变分自编码器',
    'vae.preset_info': 'lesson：单核约 6 秒得到二维地图；conv-2d：更清晰的地图；conv-16d：更清晰的数字；'
                       'cpu-fast：在 CPU 上很快',
    'vae.beta': 'β（KL 项的权重）', 'vae.beta_info': '1 即证据下界（ELBO）',
    'vae.live': '留出数字（上）及其重建（下）',
    'vae.recon_plot': '重建 −log p(x|z)', 'vae.kl_plot': 'KL(q(z|x) ‖ N(0, I))',
    'vae.loss_plot': '损失 = 重建 + β·KL', 'vae.nats': '每张图像的奈特数',
    # text
    'text.model': '模型', 'text.hub_id': 'Hugging Face Hub 模型 ID（需联网）', 'text.max_new': '最多新词元数',
    'text.temperature': '温度（0 = 总是选最可能的）', 'text.top_k': 'Top-k（0 = 关闭）',
    'text.top_p': 'Top-p（1 = 关闭）', 'text.prompt': '提示', 'text.continue': '续写',
    'text.three': '同一提示，三种温度', 'text.output': '提示与续写',
    'text.probs_title': '#### 概率：字符颜色越深，模型认为它越不可能出现；点击一个字符，看看那里它还可能写什么',
    'text.continuation': '续写', 'text.alts': '所选位置上最可能的 5 个候选',
    'text.temperature_n': '温度', 'text.train_title': '### 现场训练或微调模型', 'text.text': '文本',
    'text.model_info': 'GPT 预设（lesson：单核约一分钟）、LSTM，或微调上方所选的模型',
    'text.lora': 'LoRA：只训练小的低秩适配器（取消勾选：训练每一个权重）', 'text.rank': 'LoRA 秩 r',
    'text.upload': '一个 UTF-8 文本文件', 'text.paste': '……或者把文本粘贴在这里',
    'text.hub_choice': 'Hugging Face Hub 模型（在下方填写 ID）', 'text.upload_choice': '你的文本（上传或粘贴）',
    'text.fine_tune_choice': '微调所选模型',
    # monitor
    'monitor.keep': '关闭这个浏览器标签页后，我的运行继续训练', 'monitor.runs': '运行',
    'monitor.compare': '要比较的运行', 'monitor.metric': '指标', 'monitor.smoothing': '平滑',
    'monitor.log': '对数刻度 (log10)', 'monitor.curves': '曲线', 'monitor.one_run': '#### 单次运行：回放、设置、控制',
    'monitor.run': '运行', 'monitor.step': '步数（移动这次运行的所有媒体）', 'monitor.media_img': '这一步的样本',
    'monitor.media_text': '这一步的文本样本', 'monitor.settings': '所比较运行的设置（不同之处高亮）',
    'monitor.pause': '暂停', 'monitor.resume': '继续', 'monitor.resume_ck': '从检查点恢复',
    'monitor.share': '与全班共享', 'monitor.fork_set': '分叉：修改的设置（JSON）', 'monitor.fork_steps': '分叉：步数',
    'monitor.fork': '分叉为新的运行', 'monitor.export': '导出运行（zip：配置、指标 CSV、样本、检查点、TensorBoard）',
    'monitor.export_file': '导出',
    # what the server writes at run time
    'status.none': '还没有运行。',
    'status.queued': '**{name}**：排队中，队列中第 {place} 位（共 {waiting} 位），{when}（根据前面的运行估计）。'
                     '*停止*会把它移出队列。',
    'status.starts_in': '大约 {wait} 后开始', 'status.start_unknown': '开始时间未知',
    'status.cancelled': '**{name}**：已取消；它在开始之前离开了队列。',
    'status.line': '**{name}**：{status}，第 {step} 步（共 {total} 步），{rate}，已用时 {elapsed}，预计剩余 {eta}{msg}',
    'status.rate': '每秒 {rate:,.0f} 张图像',
    'status.queued_word': '排队中', 'status.training': '训练中', 'status.paused': '已暂停', 'status.stopped': '已停止',
    'status.done': '已完成', 'status.failed': '失败', 'status.cancelled_word': '已取消',
    'error.choose_checkpoint': '请先选择一个检查点（或在下方训练一个）。',
    'error.no_run_pause': '没有可暂停的运行。', 'error.no_run_stop': '没有可停止的运行。',
    'text.temperature_05': '温度 0.5', 'text.temperature_10': '温度 1.0', 'text.temperature_15': '温度 1.5',
    'app.device_line': '**设备：** {device}',
    'text.loss_plot': '损失（每个词元的奈特数；字符模型的词元就是字符）',
    'text.sample_box': '最近一次评估时的样本', 'text.replay': '回放：某个快照时的样本',
    'vae.describe': '{arch} VAE，z = {z_dim}，β = {beta:g}；在 {dataset} 上训练了 {steps} 步',
    'vae.describe_metrics': '；保存时：重建 {recon:.1f} 奈特，KL {kl:.2f} 奈特（每张图像）',
}

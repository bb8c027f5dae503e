"""简体中文: the same keys as en.py, written for students. Terms as Chinese textbooks use them:
生成对抗网络 (GAN), 生成器, 判别器, 变分自编码器 (VAE), 潜在空间, 证据下界 (ELBO), 自回归, 温度,
微调, 低秩适配 (LoRA). Equations, model names and preset names stay as in English."""
CODE = "zh-CN"
NAME = "简体中文"

STRINGS = {
    'app.intro': r"""# 生成式 AI 实验室
现场训练生成模型并从中采样：学会写数字的生成对抗网络（GAN）、可以在潜在空间里漫游的变分自编码器（VAE）、
一步一步把噪声变成数字的扩散模型、像莎士比亚一样写作的小型 GPT。每个标签页都能在 CPU 上运行；有 GPU 时训练更快。""",
    'gan.explain': r"""
### 生成对抗网络如何学习
生成器 $G$ 把随机噪声 $z$ 变成一张图像；判别器 $D$ 努力分辨真实图像和生成的图像。二者进行一场双人博弈
（Goodfellow 等，2014）：

$$\min_G \max_D \; \mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

每个训练步分两半：**更新 D**（在真实数字上提高 $D(x)$，在伪造数字上降低 $D(G(z))$），然后**更新 G**
（调整 $G$，让 $D$ 把它的伪造数字判为真实）。*hinge* 和 *WGAN-GP* 损失是给同一场博弈打分的其他方式。
质量用这里训练的数字分类器来衡量：**FID**（越低越好：生成数字的特征离真实数字的特征有多远）和
**类别熵**（1 = 十个数字出现得一样多；接近 0 = *模式崩溃*，生成器只会画少数几种数字）。
**Inception Score**（这里从 1 到 10；真实数字为 9.8）在每个数字都清楚、十个数字都画得出来时才高。
本页一打开显示的 DCGAN 是*自条件*的（Liu 等，2020）：训练前，k-means 把训练数字分成 50 个聚类（不用标签），
$G$ 和 $D$ 都被告知每张图像属于哪个聚类，于是 $G$ 能把各类笔画分开来画，而不是画出介于两者之间的形状。
随附的 MLP GAN 也是自条件的，用 100 个聚类。
""",
    'gan.experiment': r"""
**引导实验：学得太快的判别器。** 用种子 0 训练 `dcgan-bce` 预设（BCE 损失，判别器带批归一化，
如 Radford 等 2016 年所写）600 步。再用同一个种子训练一次，把*判别器学习率*调大十倍（0.002），
然后在*训练监视器*中叠加这两次运行（指标 `D(x)`、`D(G(z))`、`heldout_fid`）。要观察的是：判别器跑在前面时，
D(x) 停在 1 附近，D(G(z)) 停在 0 附近，生成器的损失上升，每一步学到的更少；看看 FID 是否下降得更慢、
类别直方图是否变窄。然后用 `dcgan` 预设（hinge 损失，谱归一化的判别器）重复：谱归一化限制了判别器能跑多快，
这正是该预设使用谱归一化的原因。
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
你的每一次运行（来自你的任何设备，也包括服务器重启之前的），以及从命令行启动的运行，都在这里实时显示。选择多次运行来叠加它们的
曲线；*平滑*是指数移动平均（像 TensorBoard 一样做了去偏），画在浅色的原始曲线之上，所以平滑永远不会掩盖真相。
步数滑块可以回放一次运行的样本。已停止的运行可以从最后一个检查点恢复，或者分叉：同样的权重、修改后的设置，
作为一次新的运行。被服务器重启打断的运行显示为*已中断*：*从检查点恢复*会从它最后一个检查点接着训练。
*导出*把一次运行作为 zip 带回家；*导入*在任何一天把它带回来，并且可以继续训练。

*与全班共享*会给出一个链接：每个打开它的人（或在这里选择这次运行、标记为*观看中*的人）都能实时看到这次运行，
在投影仪和每块屏幕上，只花一次运行的算力。观看者不能暂停、停止或修改它；*分叉*会给他们一个属于自己的运行。
""",
    # page
    'app.tab_gan': '图像生成对抗网络', 'app.tab_vae': '变分自编码器潜在空间', 'app.tab_text': '文本续写',
    'app.tab_monitor': '训练监视器', 'app.device': '设备',
    'app.language': '语言：页面跟随浏览器的语言；右上角的链接（English · 简体中文）可以切换，在本次浏览器会话中保持。',
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
    'gan.preset_info': ('lesson（单核约 18 秒画出数字）、cpu-fast（约 2 分钟画出清楚的数字）、'
                        'mlp、dcgan、cdcgan（条件式）、dcgan-small'),
    'gan.loss': '损失', 'gan.lr_g': '生成器学习率', 'gan.lr_d': '判别器学习率',
    'gan.upload': '你的图像（PNG/JPEG 文件或 zip）', 'gan.upload_choice': '你的图像（上传）',
    'gan.live': '固定噪声下的样本', 'gan.losses_plot': '生成器与判别器的损失', 'gan.d_plot': 'D(x) 与 D(G(z))',
    'gan.is_plot': 'Inception Score（真实数字：9.8）',
    'gan.fid_plot': '分类器 FID（留出数字）', 'gan.hist_plot': '样本的类别直方图（最新）',
    'gan.replay': '回放：训练到此处（快照的百分比）时的样本网格', 'gan.export_gif': '把历史导出为 GIF', 'gan.gif': 'GIF',
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
    'monitor.keep': '即使我的页面一个都没有打开，我的运行也继续训练（否则在我的页面关闭一段时间后，它们会停止并保存）', 'monitor.runs': '运行',
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
    'status.queued': '**{name}**：排队中，队列中第 {place} 位（共 {waiting} 位），{when}。'
                     '*停止*会把它移出队列。',
    'status.starts_in': '大约 {wait} 后开始（根据前面的运行估计）', 'status.start_unknown': '开始时间尚未可知（前面的运行开始训练后即可估算）',
    'status.cancelled': '**{name}**：已取消；它在开始之前离开了队列。',
    'status.line': '**{name}**：{status}，第 {step} 步（共 {total} 步），{rate}，已用时 {elapsed}，预计剩余 {eta}{msg}',
    'status.rate': '每秒 {rate:,.0f} 张图像',
    'status.queued_word': '排队中', 'status.training': '训练中', 'status.paused': '已暂停', 'status.stopped': '已停止',
    'status.done': '已完成', 'status.failed': '失败', 'status.cancelled_word': '已取消',
    'error.choose_checkpoint': '请先选择一个检查点（或在下方训练一个）。',
    'error.no_run_pause': '没有可暂停的运行。', 'error.no_run_stop': '没有可停止的运行。',
    'text.temperature_05': '温度 0.5', 'text.temperature_10': '温度 1.0', 'text.temperature_15': '温度 1.5',
    'device.cuda': 'CUDA GPU：{name}（{amp}）',
    'device.mps': 'Apple GPU（MPS，fp32）',
    'device.cpu': 'CPU（{cores} 个核心中的 {threads} 个训练线程，fp32）',
    'app.device_line': '**设备：** {device}',
    'text.loss_plot': '损失（每个词元的奈特数；字符模型的词元就是字符）',
    'text.sample_box': '最近一次评估时的样本', 'text.replay': '回放：训练到此处（快照的百分比）时的样本',
    'vae.describe': '{arch} VAE，z = {z_dim}，β = {beta:g}；在 {dataset} 上训练了 {steps} 步',
    'vae.describe_metrics': '；保存时：重建 {recon:.1f} 奈特，KL {kl:.2f} 奈特（每张图像）',
    # text the server writes while the page runs: info lines, messages, errors (the core's too)
    'err.not_a_number': '{name} 必须是数字，而不是 {value}',
    'err.not_finite': '{name} 必须是有限的数，而不是 {value}',
    'err.not_whole': '{name} 必须是整数，而不是 {value}',
    'err.out_of_range': '{name} 必须在 {lo} 到 {hi} 之间，而不是 {value}',
    'err.seed_not_whole': '{name} 必须是整数（收到的是 {value}）',
    'err.seed_range': '{name} 必须在 0 到 {max} 之间（收到的是 {value}）',
    'err.no_run_to_pause': '没有可暂停的运行：请先开始一次运行。',
    'err.not_your_run': '这次运行不是你的（或者还没有检查点）：请从列表中选择。',
    'err.no_checkpoint_called': '没有名为 {name} 的检查点：请从列表中选择。',
    'ui.your_run': '你的运行：{name}',
    'gan.info_clusters': '自条件：G 和 D 以 k-means 在训练图像中找到的 {k} 个聚类之一为条件（不用标签）',
    'gan.info_conditional': '条件 {kind}',
    'gan.info_model': '{kind}，{loss} 损失，z = {z}',
    'common.info_trained': '在 {dataset} 上训练了 {steps} 步',
    'common.info_minutes': '（{minutes} 分钟）',
    'gan.info_is': 'Inception 分数 {score}（真实数字为 9.8）',
    'gan.info_truncation': '采样时 z 乘以 {psi}（截断技巧：数字更确定，多样性更少）',
    'gan.info_asked': '分类器把其中 {share} 认作所要的数字',
    'gan.info_close': '与 1,000 个留出数字比较：FID {fid}，是真实数字自身（{real}）的 {times} 倍；KID {kid}（真实数字 {real_kid}）',
    'gan.info_classes': '类别熵 {entropy}，高置信度占比 {confident}',
    'gan.info_quality': 'FID {fid}，类别熵 {entropy}，高置信度占比 {confident}',
    'common.info_sep': '；',
    'err.choose_checkpoint_or_train': '请先选择一个检查点（或在下方训练一个）。',
    'err.choose_checkpoint': '请先选择一个检查点。',
    'err.conditional_needs_labels': '条件 GAN 需要带标签的图像；请选择一个带标签的数据集',
    'common.no_run_to_stop': '没有可停止的运行。',
    'gan.live_at': '第 {step} 步时固定噪声的样本',
    'err.gif_needs_run': '请先训练一次：训练过程中的样本会组成 GIF。',
    'plot.step': '步数',
    'plot.value': '数值',
    'plot.series': '曲线',
    'plot.digit': '数字',
    'plot.share': '占比',
    'monitor.watching': '（观看中）',
    'monitor.shared': '（已共享）',
    'monitor.col_run': '运行',
    'monitor.col_model': '模型',
    'monitor.col_data': '数据',
    'monitor.col_status': '状态',
    'monitor.col_step': '步数',
    'monitor.col_speed': '图像|词元/秒',
    'monitor.col_elapsed': '已用时间',
    'monitor.col_eta': '预计剩余',
    'monitor.col_device': '设备',
    'monitor.col_memory': '内存',
    'err.choose_run': '请先选择一次运行。',
    'monitor.samples': '样本',
    'monitor.text_at': '第 {step} 步时的文本样本',
    'monitor.samples_at': '第 {step} 步时的样本',
    'monitor.text_sample': '文本样本',
    'monitor.setting': '设置',
    'err.cli_run': '{run} 是从命令行启动的：请在命令行中控制它。',
    'err.watched_run_control': '{run} 是别人共享的运行：你可以观看它、分叉它，但只有启动它的人才能暂停或停止它。',
    'err.watched_run_resume': '{run} 是别人共享的运行：请分叉它，训练一个属于你自己的副本。',
    'err.stop_first': '请先停止这次运行，再从它的检查点继续。',
    'err.no_checkpoint_yet': '{run} 还没有可以继续的检查点（排队中的运行尚未开始）。',
    'err.uploaded_data_gone': '{run} 用的是上传的数据，这些数据没有保留：请在它的标签页中重新开始一次运行。',
    'err.fork_settings': '分叉的设置必须是一个 JSON 对象，例如 {"lr_d": 0.0002}',
    'err.all_steps_done': '{run} 已经完成了全部步数；请分叉它以继续训练。',
    'monitor.forked': '{name}：由 {run} 分叉，改动为 {changes}。',
    'monitor.resumed': '{name}：{run} 从第 {step} 步继续。',
    'err.share_own_runs': '只有在本页面中由你启动的运行才能共享。',
    'monitor.shared_note': '**{run}** 已与全班共享。链接：[{link}]({link})（也会出现在每位学生的监视器的*运行*列表中，标记为*观看中*）。观看者可以实时看到它，也可以分叉它；只有你能暂停或停止它。',
    'monitor.watching_note': '你正在观看与全班共享的 **{name}**：它会实时更新。*分叉为新的运行* 会训练一个属于你自己的副本。',
    'status.rate_text': '每秒 {rate:,.0f} 个窗口',
    'err.not_text_model': '{name} 是 {family} 检查点，不是文本模型',
    'err.model_not_numbers': '这个模型对接下来内容给出的概率不是数字（NaN）：它的权重在训练中发散了；请用更小的学习率重新训练',
    'err.decoding_ended': '生成文本的进程意外结束了；请再按一次按钮。',
    'err.hub_id_empty': '请输入一个 Hugging Face Hub 模型 ID，例如 distilgpt2 或 openai-community/gpt2。',
    'err.not_hub_id': '{name} 不是 Hugging Face Hub 模型 ID：请给出类似 distilgpt2 或 openai-community/gpt2 的 ID（本服务器不从文件夹加载模型）。',
    'text.info_lora': 'LoRA 秩 {r}',
    'text.info_full': '全部权重',
    'text.info_heldout_tokens': '，留出集损失 {loss} 奈特/词元 = {per_char} 奈特/字符',
    'text.info_pretrained': '{base}，预训练模型（未在此微调）',
    'text.info_fine_tuned': '{base} 已微调（{how}）；{trained}{held}',
    'text.info_gpt': '字符级 GPT，{layers} 层 x {width}',
    'text.info_lstm': '字符级 LSTM，{layers} x {width}',
    'text.info_heldout': '，留出集损失 {loss} 奈特/字符',
    'text.info_char': '{kind}，上下文 {context}；{trained}{held}',
    'err.choose_model_above': '请先在上方选择一个模型',
    'err.prompt_not_text': '提示必须是文本',
    'plot.token': '词元',
    'plot.probability': '概率',
    'err.choose_model': '请先选择一个模型。',
    'text.info_hub': '来自 Hugging Face Hub 的预训练模型（第一次使用需要联网）。',
    'text.cannot_load': '无法加载：{why}',
    'err.continue_first': '请先续写一个提示。',
    'text.alts_after': '在 ...{context} 之后：选中的 {char} 概率 p = {p}（排第 {rank}）',
    'err.no_text_given': '请先上传一个 .txt 文件或粘贴一些文本',
    'text.sample_at': '第 {step} 步时的样本',
    'err.map_needs_2d': '潜在空间地图至少需要 2 个潜在维度；这个 VAE 只有 {z_dim} 个。',
    'vae.slider_of': 'z{i}（共 {z_dim} 个潜在维度中的第 {i} 个）',
    'err.digit_empty': '数字 {name} 是空的：{tip}。',
    'err.digit_bad': '数字 {name}：{why}',
    'err.linear_or_slerp': '请选择 linear（线性）或 slerp（球面线性）。',
    'vae.map_2d': '**二维潜在空间**：坐标轴就是 z1 和 z2 本身；地图解码一个 {n}×{n} 的网格，网格按先验分布的分位数排列（每格面积相等、先验概率相等），所以每个轴覆盖 ±{lim}，即 N(0, 1) 中间的 {middle}。',
    'vae.map_pca': '**{z_dim} 维潜在空间**，通过它的前两个主成分来看（它们占留出数字均值分布的 {explained}）；地图在这个平面上、围绕均值解码一个 {n}×{n} 的网格，每个方向 ±{lim} 个标准差。滑块改变 {z_dim} 个维度中的前 {sliders} 个；其余维度保持所选点的值。',
    'vae.map_data': '留出数字来自 *{dataset}*。',
    'plot.train': '训练集',
    'plot.heldout': '留出集',
    'plot.heldout_per_char': '留出集（每字符）',
    'err.give_beta_lr': '请填写 β 和学习率（1 和 1e-3 是不错的起点）',
    'err.ckpt_no_file': '{name}：没有这个检查点文件',
    'err.ckpt_no_sidecar': '{name}：缺少 JSON 附属文件 {sidecar}',
    'err.ckpt_bad_json': '{name}：不是有效的 JSON（{why}）',
    'err.ckpt_not_sidecar': '{name}：不是 Generative AI Lab 检查点的附属文件',
    'err.ckpt_version': '{name}：格式版本为 {version}，本应用读取的是 {reads}',
    'err.ckpt_sidecar_lacks': '{name}：附属文件中没有 {key}',
    'err.ckpt_family': '{name} 是 {family} 检查点，不是 {wanted} 检查点',
    'err.ckpt_too_large': '{name} 大于 {mb} MB',
    'err.ckpt_damaged': '{name}：权重文件已损坏，或者不是 safetensors 格式（{why}）',
    'err.ckpt_misfit': '{name}：权重与其配置所描述的模型不匹配：{why}',
    'err.ckpt_no_such_name': '没有名为 {name} 的检查点（模型族：{family}）',
    'err.image_bomb': '{name} 的像素多得无法读取（解压炸弹？）；数字图像只需要 28x28',
    'err.image_unreadable': '{name} 不是可读取的图像（{why}）',
    'err.upload_too_large': '上传的文件大于 {mb} MB',
    'err.image_too_many_pixels': '{name} 有 {w}x{h} 个像素，超过 {most}：数字只需要 28x28，请上传小一些的图像',
    'err.zip_member': '无法读取 zip 文件 {name} 中的 {member}：{why}。请重新打包（存储或 deflate 压缩，不设密码）',
    'err.zip_too_large': '这个 zip 超过 {mb} MB 或多于 {n} 张图像',
    'err.two_images': '请至少提供两张图像（PNG 或 JPEG 文件，或者它们的 zip 压缩包）',
    'err.unknown_corpus': '未知的文本语料 {name}',
    'err.text_too_large': '文本大于 {mb} MB',
    'err.text_not_utf8': '文本不是 UTF-8 编码（第 {at} 个字节有误）',
    'err.text_too_short': '文本太短，无法训练：只有 {n} 个字符，至少需要 {least} 个',
    'err.unknown_images': '未知的图像数据集 {name}；请从 {choices} 中选择',
    'err.spec_whole': '{name} 必须是 1 到 {hi} 之间的整数（收到的是 {value}）',
    'err.spec_number': '{name} 必须是数字，而不是 {value}',
    'err.spec_lr': '学习率 {name} 必须大于 0 且不超过 1（收到的是 {value}）；这里常用 1e-4 到 2e-3',
    'err.spec_min_lr': 'min_lr 必须在 0 到 1 之间（收到的是 {value}）',
    'err.unknown_family': '未知的模型族 {name}；请从 {choices} 中选择',
    'err.unknown_preset': '未知的 {family} 预设 {name}；请从 {choices} 中选择',
    'err.unknown_setting': '{family} 没有这些设置：{names}',
    'err.runs_per_session': '你已经有 {n} 个运行在排队或训练（每人最多 {most} 个，这样全班每个人都能轮到）。请先停止或取消一个，再开始这一个。',
    'err.no_such_run': '本会话中没有运行 {name}',
    'err.no_shared_run': '本服务器上没有这个链接对应的共享运行（服务器可能已经重启）。',
    'status.cancelled_in_queue': '在排队等待时被取消。',
    'err.no_result': '这次运行结束了，但没有结果。',
    'err.process_ended': '训练进程意外结束（{why}）；这次运行最后的检查点已保留。',
    'err.process_ended_unsaved': '训练进程意外结束（{why}），这次运行还没有保存检查点。',
    'err.exit_code': '退出码 {code}',
    'err.killed_by': '被信号 {signal} 终止',
    'err.killed_oom': '被 SIGKILL 强制结束：在服务器上多半是因为内存不足',
    'err.could_not_start': '无法启动：{error}',
    'err.thread_returned': '它的训练线程已返回',
    'err.relay_failed': '服务器无法读取它',
    'train.cause_lr': '学习率通常是原因（{lrs}）：试试更低的学习率，小十倍',
    'train.cause_lower_lr': '试试更低的学习率',
    'train.kept': '第 {step} 步的检查点已保留：在*检查点*菜单中选择这次运行来采样，或在监视器中用更低的学习率继续它。',
    'train.none_kept': '当时还没有保存任何检查点。',
    'train.diverged': '训练在第 {step} 步发散（{bad}），因此已停止；{cause}。{kept}',
    'train.out_of_memory_gpu': 'GPU 在批大小为 {batch} 时内存不足。试试批大小 {smaller}（或更小的预设）；其他运行和页面不受影响。',
    'train.out_of_memory': '计算机在批大小为 {batch} 时内存不足。试试批大小 {smaller}（或更小的预设）；其他运行和页面不受影响。',
    'err.file_unreadable': '服务器上无法读取文件 {name}（{why}）：它可能已被删除；请另选一个，或重新训练',
    'err.not_a_flag': '{name} 必须是 true 或 false（收到 {value}）',
    'err.not_a_digit': '数字 {name} 不是可以编码的数字（{why}）。{tip}',
    'sketch.filled': '墨迹覆盖了画板的 {share}：这是一个填满的方块，不是数字',
    'sketch.dot': '它只是一个点，太小，不像数字',
    'err.beta': 'β 必须在 0 到 {most} 之间（1 就是普通的 VAE；收到的是 {value}）',
    'err.text_empty': '训练文本是空的',
    'err.text_shorter_than_window': '训练文本（{n} 个字符）比一个窗口（block_size + 1 = {window} 个字符）还短',
    'err.text_shorter_than_window_tokens': '训练文本（{n} 个词元）比一个窗口（{window} 个词元）还短',
    'lm.not_on_hub': '在 Hugging Face Hub 上找不到',
    'lm.offline': '离线：无法连接 Hugging Face Hub，本地缓存中也没有',
    'err.hub_load': '无法加载 {name}（{why}；{kind}）。随附的模型仍然可以使用。',
    'err.hub_too_large': '{name} 有 {billions} 十亿个参数，超过了本服务器能加载的上限（{millions} 百万；GENAI_MAX_HUB_PARAMS）。试试 distilgpt2 或 gpt2。',
    'field.steps': '步数',
    'field.batch_size': '批大小',
    'err.spec_seed': '随机种子必须是 0 到 {max} 之间的整数（收到的是 {value}）',
}

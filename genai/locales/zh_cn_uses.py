"""“生成模型的用途”页的中文（图像修复、超分辨率、合成训练数据；并入 zh_cn.py 的词表）。"""
CODE = "zh-CN"

STRINGS = {
    'app.tab_uses': "生成模型的用途",
    'uses.intro': r"""
其他页上的模型从噪声画出数字。这类模型**有什么用**？这里试教材提到的三种用途，都用**留出的数字**（没有模型训练时见过），
由随附的模型完成，并且都经过测量（BENCHMARKS.md，“What image generators are for”）。
""",
    'uses.repair_explain': r"""
### 图像修复
选一个留出的数字，选择要擦掉的部分（预设的遮罩，或用画笔涂上再选“我的笔迹”），每个模型填补缺口；已知像素保持原样。
- **扩散模型，RePaint**（Lugmayr 等，2022）：照常运行反向过程，但每一步都把已知像素换成加噪到该步的原图，
  模型只需补出缺口；途中不时退回几步再走下来（重采样），让填补与其余部分一致。
- **GAN，优化采样**（Yeh 等，2017）：GAN 没有编码器，于是*搜索*它的输入：找一个 z（和标签），使生成的图像
  与已知像素相符，再加一个先验项，让 z 留在 GAN 训练过的范围。128 个随机起点，最好的一个再用 Adam 走 100 步。
- **VAE，同样的搜索**，在 VAE 的解码器下：只看已知像素时最可能的 z，从编码器的结果出发。
  （不用“编码再解码、固定已知像素”的迭代：编码器从未见过有洞的数字，会把洞也编码进去。）
- **最近邻**：不用模型，找与已知像素最像的训练数字，把它的像素贴进缺口。

每一行是另一个随机种子：各行填补不同之处，就是模型拿不准的地方（这是 4 还是 9？）。
""",
    'uses.digit': "留出的数字",
    'uses.digit_info': "2,000 个没有模型训练时见过的数字之一",
    'uses.mask': "擦掉哪里",
    'uses.mask_bottom': "下半部分",
    'uses.mask_left': "左半部分",
    'uses.mask_centre': "中间的方块",
    'uses.mask_random75': "随机 75% 的像素",
    'uses.mask_brush': "我的笔迹",
    'uses.editor': "用画笔涂上要擦掉的部分，再选“我的笔迹”",
    'uses.fills': "同一遮罩的填补次数",
    'uses.ask_digit': "扩散模型：指定数字",
    'uses.ask_any': "不指定（无条件）",
    'uses.ckpt_diffusion': "扩散模型",
    'uses.ckpt_gan': "GAN",
    'uses.ckpt_vae': "VAE",
    'uses.repair': "修复",
    'uses.col_known': "已知像素",
    'uses.col_diffusion': "扩散模型（RePaint）",
    'uses.col_gan': "GAN（搜索）",
    'uses.col_vae': "VAE（搜索）",
    'uses.col_nearest': "最近邻数字",
    'uses.col_original': "原图",
    'uses.times': "在本服务器上 {n} 次填补所用秒数：扩散模型 {diffusion}，GAN {gan}，VAE {vae}，最近邻 {nearest}。"
                  "缺失像素的误差（均方误差，0 为完美）：扩散模型 {e_diffusion}，GAN {e_gan}，VAE {e_vae}，"
                  "最近邻 {e_nearest}。",
    'uses.upscale_explain': r"""
### 超分辨率
把数字按像素块取平均缩小到 7x7（或 14x14）；扩散模型用 **ILVR**（Choi 等，2021）把它恢复到 28x28：
每一步反向过程之后，把图像的粗略部分（各块的平均值）换成加噪到该步的低分辨率数字，模型只画细节。
旁边是**双三次插值**（平滑的猜测，不懂数字）和低分辨率下**最近的**训练数字。
""",
    'uses.low_size': "低分辨率",
    'uses.upscale': "放大",
    'uses.col_low': "低分辨率",
    'uses.col_ilvr': "扩散模型（ILVR）",
    'uses.col_bicubic': "双三次插值",
    'uses.upscale_times': "在本服务器上 {n} 次放大所用秒数：扩散模型 {diffusion}。",
    'uses.cas_explain': r"""
### 合成训练数据（数据增强）
生成的数字能*教*会分类器吗？只用每个条件模型生成的数字（按类别各要 100 个）训练一个小分类器，再用 2,000 个
真实的留出数字测试：这就是**分类准确率分数**（CAS，Ravuri 和 Vinyals，2019）。旁边是实际中会尝试的数据增强：
只用 100 个真实数字，以及这 100 个再加上模型的 1,000 个；作为参照，还有 1,000 个真实数字。
每个分类器都是同样的小网络、同样的训练。
""",
    'uses.cas': "训练分类器",
    'uses.cas_table': "在 2,000 个真实留出数字上的准确率",
    'uses.col_model': "训练数据",
    'uses.col_accuracy': "准确率",
    'uses.col_fid': "模型的 FID（越低越接近）",
    'uses.row_real': "1,000 个真实数字（参照）",
    'uses.row_few': "100 个真实数字",
    'uses.row_generated': "{model}：只用它的 1,000 个数字（CAS）",
    'uses.row_few_plus': "100 个真实数字 + {model} 的 1,000 个",
    'uses.cas_progress': "{model}：{what}",
    'uses.step_generating': "每类画 100 个数字",
    'uses.step_generated': "用它的数字训练分类器",
    'uses.step_few_real': "用 100 个真实数字训练分类器",
    'uses.step_few_real_plus_generated': "用 100 个真实数字加上它的数字训练分类器",
    'uses.step_real': "用 1,000 个真实数字训练分类器",
    'uses.step_done': "完成",
    'uses.cas_why': r"""
**这里测得 FID 与这个分数说明了什么。** FID 比较整批样本与真实数字的统计量，从不看某个样本被要求画成哪个数字；
准确率分数问的是每一类的样本是否覆盖了这一类，包括少见的 7。在这些模型上两者一致：扩散模型两项都领先。
与准确率分数相反的是数字看起来有多*确定*：引导从 1 加到 5，扩散模型的数字被读成所要求数字的比例从 92% 升到 99.7%，
分数却从 96.6% 降到 91.7%；把 GAN 的噪声截断（psi 从 1 到 0.5）也一样（所要求数字 97% 到 99.9%，分数 94% 到 88%）。
更清晰、更确定的数字把每一类收窄到最典型的写法，用它们训练的分类器从没见过少见的写法。模型可以看起来更好、
教得更差；而且没有哪个模型的数字能像同样多的真实数字那样教得好（BENCHMARKS.md）。
""",
    'uses.err_mask_name': "未知的遮罩 {name!r}；请从 {names} 中选择",
    'uses.err_shape': "{name} 必须是形状为 (N, {size}, {size}) 的数组（收到 {shape}）",
    'uses.err_count': "{name} 有 {n} 张图像；每次请给 1 到 {most} 张",
    'uses.err_range': "{name} 必须是 0 到 1 之间的有限数（0 为黑，1 为白色笔迹）",
    'uses.err_mask_shape': "遮罩必须是所有图像共用的一个 (28, 28) 数组，或每张图像一个（(N, 28, 28)，N = {n}）；"
                           "收到 {shape}",
    'uses.err_mask_values': "遮罩只能包含 0（要填补）和 1（已知）",
    'uses.err_mask_empty': "有一个遮罩全为 0：没有已知像素，无从修复（那是采样，见其他页）",
    'uses.err_mask_full': "有一个遮罩全为 1：没有缺失的像素，无需填补",
    'uses.err_family': "这是 {family} 检查点；这里需要以下之一：{wanted}",
    'uses.err_low_shape': "低分辨率图像必须是 (N, 7, 7) 或 (N, 14, 14)（收到 {shape}）",
    'uses.err_cas_family': "准确率分数需要条件模型（可以指定数字的模型）：条件 GAN 或扩散模型",
    'uses.err_no_brush': "请先用画笔涂掉数字的一部分，或选择一个预设遮罩",
}

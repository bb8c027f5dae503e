"""简体中文：文本标签页的“这段文字好不好？”（并入 zh_cn.py 的词表：genai/locales/__init__.py）。"""
CODE = "zh-CN"

STRINGS = {
    'measures.explain': r"""
### 这段文字好不好？
模型从**留出文本**（训练时从未见过的部分）中的若干段落开头的 64 个字符续写，长度与真实的后文相同（160 个字符），
在五种温度下各续写一次。每段续写都与真实后文比较：**BLEU**（Papineni 等 2002：续写中 1 到 4 个词的序列有多少也出现在参考文本中，0-100）、
**chrF**（Popović 2015：同样的比较，改用字符序列，0-100）和 **ROUGE-L**（Lin 2004：两者按顺序共有的最长词序列，0-1）；
也单独衡量续写本身：**distinct-2**（不同词对所占的比例：低说明它在重复自己）和**重复率**（已经写过的 4 词序列所占的比例）。
模型本身用留出文本上的**困惑度**衡量：$e^{L}$，其中 $L$ 是每个字符 $-\ln p(x_t \mid x_{<t})$ 的平均值（好比每次在这么多个字符中挑一个），
以及**每字符比特数** $L / \ln 2$。

要看什么（用随附模型、20 个段落测得，见 BENCHMARKS.md）：在**贪心**解码下文字开始循环，distinct-2 从约 0.9 降到 0.24，
重复率上升，而 BLEU 和 ROUGE-L 几乎不变，也没有哪个温度让重叠类分数明显领先。**真实文本**一行（每段真实后文与另一段的后文比较）
的分数和模型的样本差不多（BLEU 约 1，chrF 约 18）；**字符二元模型**（根据训练文本统计“哪个字符后面跟哪个字符”的表）
写出的大多不是真正的词，chrF 却几乎一样。只用一个参考文本评判开放式写作并不可靠：好的续写有很多种，与其中一种的重叠
既分不出莎士比亚和好的模仿，用 chrF 甚至分不出坏的模仿。困惑度评判的是模型对真实文本的预测（GPT 4.4、LSTM 4.6、二元模型 12），
而不是它写出的某个样本；distinct-n 和重复率能发现重叠类分数看不到的循环。
""",
    'measures.greedy': '贪心',
    'measures.passages': '段落数',
    'measures.compare': '对比模型',
    'measures.compare_info': '与上面所选模型并列的基线（微调过的模型会自动带上它的基础模型）',
    'measures.run': '开始评测',
    'measures.table': '分数（所有段落合起来的语料级分数；旁边是模型的留出损失）',
    'measures.plot': '分数随温度的变化（贪心记为 0；BLEU 和 chrF 除以 100）',
    'measures.show_temperature': '显示该温度下的段落',
    'measures.bigram': '字符二元模型（基线）',
    'measures.before': '{name}（微调之前）',
    'measures.progress': '正在评测 {name}',
    'measures.real_row': '真实文本（另一段落）',
    'measures.marks': '标记：续写与参考文本共有的词（黄色：单个词；绿色：两者共有的 2 到 4 个词的序列的一部分）。',
    'measures.col_model': '模型',
    'measures.col_temperature': '温度',
    'measures.col_repetition': '重复率',
    'measures.col_heldout_loss': '留出损失（奈特/字符）',
    'measures.col_perplexity': '困惑度',
    'measures.col_bits_per_char': '比特/字符',
    'measures.col_prompt': '提示',
    'measures.col_continuation': '续写',
    'measures.col_reference': '真实后文',
    'measures.series_repetition': '重复率',
    'measures.series_real_bleu': '真实文本的 BLEU / 100',
    'measures.series_real_distinct_2': '真实文本的 distinct-2',
    'err.passages_range': '段落数必须在 1 到 {most} 之间（收到 {k}）。',
    'err.heldout_too_short': '留出文本（{n} 个字符）只够 {room} 段、每段 {span} 个字符，不够 {k} 段：请减少段落数，或提供更长的文本。',
}

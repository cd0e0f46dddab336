"""The source texts every claim cites (see ``shared/seeds/README.md``).

Claims name their source by one of these file names plus a locator
(section, equation, table or figure). ``PYTORCH_DOCS`` stands for the
framework's own documentation, checked the same way as the texts.
"""

from __future__ import annotations

REGULARIZED_RELU = "000_940f4854fb2e4a91.txt"  # Wang, "regularized ReLU" paper
MSD_THESIS = "001_eca9e742b9cf0388.txt"  # thesis chapter, CNN overview (mixed-scale dense)
BILICI = "002_c109f77ff76ed8b6.txt"  # Bilici, "An Overview of Convolutional Neural Networks"
XU_THESIS = "003_6ff731d493f5c8c8.txt"  # Bing Xu, MSc thesis (2016)
FOUNDATIONS = "004_e138cd620735c755.txt"  # "Foundation of Deep Learning" chapter
PYTORCH_DOCS = "pytorch-docs"  # docs of torch 2.x (the installed version is recorded in evidence)
PAPER = "paper"  # a published reference value (the locator names the paper)
USER = "user"  # a claim from the user's claims file (the locator is its `source`)

SEEDS = (REGULARIZED_RELU, MSD_THESIS, BILICI, XU_THESIS, FOUNDATIONS)
SOURCES = (*SEEDS, PYTORCH_DOCS, PAPER, USER)


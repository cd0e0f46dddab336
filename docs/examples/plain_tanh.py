"""A 31-layer plain tanh CNN initialised far below 1/sqrt(fan_in): the signal vanishes.

Profile it with ``cnnbench network docs/examples/plain_tanh.py:plain_tanh --input 3x16x16
--variance``.
"""

from torch import nn


def plain_tanh() -> nn.Module:
    layers = [nn.Conv2d(3, 8, 3, padding=1)]
    for _ in range(30):
        conv = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        nn.init.normal_(conv.weight, std=0.05)  # 1/sqrt(72) = 0.118 would keep the scale
        layers += [conv, nn.Tanh()]
    return nn.Sequential(*layers)

"""The registry on CUDA: same values as on CPU, and the fused backward's gradcheck."""

from __future__ import annotations

import math

import pytest
import torch
from cnnbench.analysis.activations.registry import ACTIVATIONS, get_activation

FP64_TOL = 1e-12  # float64 kernels on two devices, a few ulps apart
SOFTPLUS_THRESHOLD_ERR = math.exp(-20)  # torch's softplus returns x above x = 20


@pytest.mark.gpu
@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if not a.stochastic])
def test_cuda_implementations_match_cpu_reference(name):
    a = get_activation(name)
    x = torch.randn(4096, dtype=torch.float64) * 5  # (4096,)
    expected = a.reference(x)
    for key, impl in a.implementations.items():
        if key == "compiled":
            continue
        got = impl(x.cuda()).cpu()
        linearised = name == "softplus" and key == "eager"
        tol = SOFTPLUS_THRESHOLD_ERR if linearised else FP64_TOL
        assert torch.allclose(got, expected, rtol=0, atol=tol), key


@pytest.mark.gpu
def test_cuda_fused_regularized_relu_gradcheck():
    fused = get_activation("regularized_relu").implementations["fused"]
    x = (torch.randn(64, dtype=torch.float64, device="cuda") + 0.05).requires_grad_(True)
    assert torch.autograd.gradcheck(fused, (x,))

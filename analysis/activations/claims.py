"""Claims about single activations: identities, derivatives and their ranges."""

from __future__ import annotations

import sympy
from cnnbench.analysis.activations.checks import (
    check_range,
    check_relu_row,
    check_sigmoid_derivative_identity,
    check_sigmoid_max_gradient,
    check_table_row,
    check_value_range,
)
from cnnbench.analysis.activations.identities import (
    check_leaky_forms,
    check_prelu_gradient,
    check_regularized_overlap,
    check_rrelu_eval,
    check_rrelu_training,
    check_sigmoid_star_tanh,
)
from cnnbench.analysis.activations.registry import X
from cnnbench.analysis.claims._core import Claim
from cnnbench.analysis.seeds import FOUNDATIONS, MSD_THESIS, REGULARIZED_RELU, XU_THESIS

_SIGMOID = 1 / (1 + sympy.exp(-X))

# 004 §3.4.2: each activation's printed value range ("value field").
_RANGES_3_4_2 = (
    ("sigmoid", "(1)", "(0, 1)", "f(x) = 1/(1 + e^−x), whose value is (0, 1)"),
    ("tanh", "(2)", "(-1, 1)", "f(x) = tanh(x), the value range is (−1, 1)"),
    ("relu", "(3)", "[0, oo)", "f(x) = max(0, x), the value field is [0, +∞)"),
    ("leaky_relu", "(4)", "(-oo, oo)", "f(x) = Ax for x < 0, x for x > 0: value field (−∞, +∞)"),
    ("softplus", "(5)", "(0, oo)", "f(x) = ln(1 + e^x), the value range is (0, +∞)"),
)

CLAIMS = (
    Claim(
        "activations.sigmoid-star-is-scaled-tanh",
        XU_THESIS,
        "§5.5.2 eq. (5.36), Figs. 5.4-5.5",
        "Sigmoid*(x) = 4·Sigmoid(x) − 2, compared with Tanh (identity: = 2·tanh(x/2))",
        check_sigmoid_star_tanh,
    ),
    Claim(
        "activations.derivative-table-sigmoid",
        FOUNDATIONS,
        "§3.4.3 table, Sigmoid row",
        "f'(x) = f(x)(1 − f(x)); f'(x) ≈ 0 at x = ±10; f'(0) = 0.25",
        lambda: check_table_row(
            "sigmoid", _SIGMOID * (1 - _SIGMOID), {0.0: "1/4", 10.0: "≈0", -10.0: "≈0"}
        ),
    ),
    Claim(
        "activations.derivative-table-tanh",
        FOUNDATIONS,
        "§3.4.3 table, Tanh row",
        "f'(x) = 1 − tanh(x)²; f'(x) ≈ 0 at x = ±10; f'(0) = 1",
        lambda: check_table_row(
            "tanh", 1 - sympy.tanh(X) ** 2, {0.0: "1", 10.0: "≈0", -10.0: "≈0"}
        ),
    ),
    Claim(
        "activations.derivative-table-relu",
        FOUNDATIONS,
        "§3.4.3 table, Relu row",
        "f'(x) = 0 for x < 0, 1 for x > 0, undefined at 0 (usually set to 1 or 0)",
        check_relu_row,
    ),
    Claim(
        "activations.tanh-derivative-range",
        FOUNDATIONS,
        "§3.4.11",
        "tanh'(x) = 1 − tanh(x)² ∈ (0, 1)",
        lambda: check_range("tanh", "(0, 1)"),
        severity="slip",
        severity_reason="tanh'(0) = 1 is attained (the range is (0, 1]); the text's own table "
        "gives f'(0) = 1 and its point, that tanh' reaches 4x sigmoid's 1/4, stands",
    ),
    Claim(
        "activations.sigmoid-derivative-range",
        FOUNDATIONS,
        "§3.4.11",
        "s'(x) = s(x)·(1 − s(x)) ∈ (0, 1/4]",
        lambda: check_range("sigmoid", "(0, 1/4]"),
    ),
    Claim(
        "activations.sigmoid-max-gradient",
        XU_THESIS,
        "§5.2",
        "the maximum value of the sigmoid gradient is 0.25; tanh's gradient reaches its "
        "maximum of 1 when x is 0",
        check_sigmoid_max_gradient,
    ),
    *(
        Claim(
            f"activations.value-range-{name.replace('_', '-')}",
            FOUNDATIONS,
            f"§3.4.2 {item}",
            statement,
            lambda name=name, printed=printed: check_value_range(name, printed),
        )
        for name, item, printed, statement in _RANGES_3_4_2
    ),
    Claim(
        "activations.sigmoid-range-glossary",
        REGULARIZED_RELU,
        "Glossary of key terms, 'Sigmoid'",
        "a = 1/(1 + e^−z); the output value of sigmoid is greater than 0 and less than 1",
        lambda: check_value_range("sigmoid", "(0, 1)"),
    ),
    Claim(
        "activations.sigmoid-derivative",
        MSD_THESIS,
        "§2.2.1 eqs. (2.4)-(2.5)",
        "g(z) = 1/(1 + e^−z) has derivative g'(z) = g(z)(1 − g(z))",
        check_sigmoid_derivative_identity,
    ),
    Claim(
        "activations.leaky-relu-forms",
        XU_THESIS,
        "§5.3.2-5.3.3 eqs. (5.2)-(5.3)",
        "the leaky ReLU x/a, a ∈ (1, +∞) (5.2) can be rewritten as a·x for x < 0 (5.3)",
        check_leaky_forms,
    ),
    Claim(
        "activations.prelu-slope-gradient",
        XU_THESIS,
        "§5.3.3 eqs. (5.4)-(5.5)",
        "∂ε/∂a_i = Σ ∂ε/∂y_i · ∂y_i/∂a_i with ∂y_i/∂a_i = 0 if y_i ≥ 0, x_i if y_i < 0",
        check_prelu_gradient,
    ),
    Claim(
        "activations.rrelu-training-slopes",
        XU_THESIS,
        "§5.3.4 eqs. (5.6)-(5.7)",
        "in training, a_ji is a random number sampled from U(l, u) for each element",
        check_rrelu_training,
    ),
    Claim(
        "activations.rrelu-eval-mean-slope",
        XU_THESIS,
        "§5.3.4 after eq. (5.7)",
        "in the test phase a_ji is set to (l + u)/2 (torch.nn.RReLU in eval mode)",
        check_rrelu_eval,
    ),
    Claim(
        "activations.regularized-relu-coefficient",
        REGULARIZED_RELU,
        "§2 (figure of 6 input data) and §3.1",
        "c/(s·n·m) compensates repeated extraction: data read 2 or 4 times by 2 maps of 2 "
        "neurons with filter size 4",
        check_regularized_overlap,
    ),
)

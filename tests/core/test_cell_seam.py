"""The seam holds: a cell defined here, in the tests only, gets every analysis of the engine unchanged.

``ComplexDiagonal`` is a diagonal linear recurrence with complex eigenvalues (the core of a linear recurrent unit):
``h_t = lambda * h_{t-1} + B x_t`` with complex ``lambda`` and ``h``, real ``B``, the loss reading ``Re h``. Its state
is kept as ``[Re h, Im h]``, as the cell contract asks of a complex state. Nothing in rnn_core knows it: the test
proves that a new cell is one new class, with the log-domain gradients, the parameter gradients, the Jacobian-product
norms, the Lyapunov exponents and the diagnosis for free. Its theory is exact, so the numbers can be checked exactly:
``||ds_T/ds_t||_2 = max|lambda|^(T-t)``, and the Lyapunov exponents tend to ``ln|lambda_i|``, each twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from rnn_core import Config, analyze, backward, forward, gradients, jacobian_products, lyapunov_spectrum
from rnn_core.cells import Cell, Theory

Array = np.ndarray
FD_STEP, FD_RTOL = 1e-6, 1e-7


@dataclass(frozen=True)
class DiagParams:
    lam_re: Array  # (..., N)
    lam_im: Array  # (..., N)
    B: Array  # (..., N, D)
    u: Array  # (..., N): the readout of Re h

    cell_name = "complex_diagonal"

    @property
    def input_size(self) -> int:
        return self.B.shape[-1]


@dataclass(frozen=True)
class ComplexDiagonal(Cell):
    name = "complex_diagonal"

    def state_size(self, p: DiagParams) -> int:
        return 2 * p.u.shape[-1]

    def output(self, s: Array) -> Array:
        return s[..., : s.shape[-1] // 2]  # Re h

    def readout(self, p: DiagParams) -> Array:
        return np.concatenate([p.u, np.zeros_like(p.u)], axis=-1)

    @staticmethod
    def _parts(a: Array) -> tuple[Array, Array]:
        n = a.shape[-1] // 2
        return a[..., :n], a[..., n:]

    def step(self, p, s_prev, x):
        re, im = self._parts(s_prev)
        lr, li = p.lam_re[..., None, :], p.lam_im[..., None, :]
        return np.concatenate([lr * re - li * im + x @ p.B.mT, li * re + lr * im], axis=-1)

    def delta(self, p, g, s_prev, s, x):
        return g  # linear: the gradient at the "pre-activation" is the state's own

    def backward(self, p, g, s_prev, s, x):
        gr, gi = self._parts(g)  # J^T g, J = [[lr, -li], [li, lr]] per unit
        return np.concatenate([p.lam_re * gr + p.lam_im * gi, -p.lam_im * gr + p.lam_re * gi], axis=-1)

    def jvp(self, p, q, s_prev, s, x):
        n = q.shape[-2] // 2
        qr, qi = q[..., :n, :], q[..., n:, :]
        lr, li = p.lam_re[..., :, None], p.lam_im[..., :, None]
        return np.concatenate([lr * qr - li * qi, li * qr + lr * qi], axis=-2)

    def param_grads(self, p, delta, s_prev, x):
        dr, di = self._parts(delta.reshape(-1, delta.shape[-1]))
        re, im = self._parts(s_prev.reshape(-1, s_prev.shape[-1]))
        return {"lam_re": (dr * re + di * im).sum(0), "lam_im": (di * re - dr * im).sum(0),
                "B": dr.T @ x.reshape(-1, x.shape[-1])}

    def theory(self, p):
        lr, li = np.diag(p.lam_re), np.diag(p.lam_im)
        return Theory(recurrent=np.block([[lr, -li], [li, lr]]), gamma=1.0)


def _net(N=4, D=3, radius=(0.5, 0.95), seed=0):
    rng = np.random.default_rng(seed)
    lam = rng.uniform(*radius, N) * np.exp(1j * rng.uniform(0, np.pi, N))
    u = rng.normal(size=N)
    return DiagParams(lam.real.copy(), lam.imag.copy(), rng.normal(size=(N, D)), u / np.linalg.norm(u)), lam


def _reference_loss(p: DiagParams, x: Array, loss: str) -> float:
    """In complex arithmetic, from the equations alone."""
    lam = p.lam_re + 1j * p.lam_im
    h = np.zeros((x.shape[1], lam.size), complex)
    total = 0.0
    for t in range(x.shape[0]):
        h = lam * h + x[t] @ p.B.T
        if loss == "all" or t == x.shape[0] - 1:
            total += float((h.real @ p.u).sum())
    return total


@pytest.mark.parametrize("loss", ["last", "all"])
def test_parameter_gradients_of_a_cell_the_core_does_not_know(loss):
    p, _ = _net()
    x = np.random.default_rng(1).normal(size=(12, 2, 3))
    cell = ComplexDiagonal()
    _, pg = gradients(p, forward(p, x, cell), x, loss)
    for name, got in pg.as_dict().items():
        arr = getattr(p, name)
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += FD_STEP
            minus[idx] -= FD_STEP
            fields = {"lam_re": p.lam_re, "lam_im": p.lam_im, "B": p.B, "u": p.u}
            fd[idx] = (_reference_loss(DiagParams(**{**fields, name: plus}), x, loss)
                       - _reference_loss(DiagParams(**{**fields, name: minus}), x, loss)) / (2 * FD_STEP)
        assert np.linalg.norm(got - fd) < FD_RTOL * np.linalg.norm(fd), name


def test_jacobian_norms_and_lyapunov_exponents_are_exact():
    p, lam = _net(N=5, radius=(0.6, 0.9), seed=2)
    T = 300
    x = np.random.default_rng(3).normal(size=(T, 1, 3))
    traj = forward(p, x, ComplexDiagonal())
    jac = jacobian_products(p, traj, all_singular_values=True)
    lag = T - np.arange(T + 1)
    # ds_T/ds_t is the real form of diag(lambda^(T-t)): its norm is max|lambda|^(T-t)
    np.testing.assert_allclose(jac.log10_norm, lag * np.log10(np.abs(lam).max()), rtol=0, atol=1e-12)
    # every singular value |lambda_i|^T, each twice (the real and imaginary directions of one unit)
    expected = np.sort(np.repeat(T * np.log10(np.abs(lam)), 2))[::-1]
    np.testing.assert_allclose(jac.log10_sv_full, expected, rtol=0, atol=1e-9)
    # Lyapunov exponents: finite-time estimates of ln|lambda_i| (each twice), off by O(ln(overlap of the start)/T);
    # their sum is exact, (1/T) ln |det(ds_T/ds_0)| = 2 sum ln|lambda_i|
    lyap = np.sort(lyapunov_spectrum(p, traj, k=10, seed=0)[0])[::-1]
    exact = np.sort(np.repeat(np.log(np.abs(lam)), 2))[::-1]
    assert lyap.sum() == pytest.approx(exact.sum(), abs=1e-10)
    np.testing.assert_allclose(lyap, exact, rtol=0, atol=5 / T)


def test_log_domain_gradient_far_beyond_float64():
    # |lambda| = 0.5 everywhere: ||dL/ds_t|| = 0.5^(T-t) exactly (the readout u has norm 1), 1e-1505 at T = 5000
    N, T = 3, 5000
    lam = 0.5 * np.exp(1j * np.array([0.3, 1.1, 2.0]))
    p = DiagParams(lam.real.copy(), lam.imag.copy(), np.zeros((N, 1)), np.array([1.0, 0.0, 0.0]))
    grad = backward(p, forward(p, np.zeros((T, 1, 1)), ComplexDiagonal()), "last")
    np.testing.assert_allclose(grad.log10_norm[:, 0], (T - np.arange(T + 1)) * np.log10(0.5), rtol=1e-12, atol=0)
    assert grad.log10_norm[0, 0] < -1500


def test_analyze_diagnoses_a_cell_the_core_does_not_know():
    cell = ComplexDiagonal()
    for radius, regime in (((0.5, 0.8), "vanishing"), ((1.05, 1.1), "exploding")):
        p, lam = _net(N=6, D=2, radius=radius, seed=4)
        cfg = Config(hidden_size=6, seq_len=150, input_kind="noise", input_size=2)
        a = analyze(cfg, params=p, cell=cell)
        d = a.diagnosis
        assert d.regime == regime
        # the gradient of a diagonal recurrence decays at the rate of its largest |lambda| (the slowest mode)
        assert d.rate == pytest.approx(np.abs(lam).max(), rel=0.02)
        assert d.sigma_max == pytest.approx(np.abs(lam).max(), rel=1e-12)  # of the real block form
        assert d.spectral_radius == pytest.approx(np.abs(lam).max(), rel=1e-12)
        assert d.lyapunov_max == pytest.approx(np.log(np.abs(lam).max()), abs=5 / 150)  # finite-time estimate
        assert f"{d.rate:.3g}" in d.sentence
        assert a.jacobians is not None and a.contributions.shape == (150,)
        assert np.isnan(a.saturated).all()  # the cell defines no saturation

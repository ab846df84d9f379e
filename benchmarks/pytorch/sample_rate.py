"""Images per second of class-conditional MNIST sampling in PyTorch, set beside `diffusion4j sample` by
sample-rate.sh: the network of the built-in model mnist-w16 (models/mnist-w16/config.json: base 16, multiples 1-2-2,
one residual block down, attention at 7x7, GroupNorm with up to 8 groups, one head, 10 classes, dropout 0;
280,881 parameters), v-prediction on the linear beta schedule with T = 1000, drawn with DPM-Solver++(2M) on
diffusion4j's log-SNR grid (DpmSolverPlusPlus.java, the default sampler), by default at guidance 1: one forward pass per step,
labels 0..9 in turn as `sample` gives them; --guidance W other than 0 and 1 doubles each pass's batch, as
classifier-free guidance does in diffusion4j.

Each timed run is a whole batch: x_T ~ N(0, I), --steps solver steps, the clipped x_0. Prints one JSON object: the
median over --repeats runs after --warmup untimed ones. With --compile the network (not the solver's arithmetic)
goes through torch.compile (inductor); compiling happens in the first warm-up, so give --warmup 1 or more (its time is
reported as warmup_s). --weights loads a diffusion4j ema.safetensors; without it the weights are random, which
changes nothing in the time a pass takes."""
import argparse
import json
import math
import statistics
import time

import torch

from unet import UNet, load_diffusion4j


def linear_schedule(steps=1000, start=1e-4, end=0.02):
    """sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) for t = 0..T, in double precision, as NoiseSchedule.java computes
    them (1 - alpha_bar_t as a running sum, not as a difference)."""
    betas = [start + (end - start) * i / (steps - 1) for i in range(steps)]
    ab, omab = [1.0], [0.0]
    for t in range(1, steps + 1):
        b = betas[t - 1]
        omab.append(omab[t - 1] + ab[t - 1] * b)
        ab.append(ab[t - 1] * (1 - b))
    return ab, omab


def log_snr_grid(ab, omab, steps):
    """DpmSolverPlusPlus.logSnrGrid: S timesteps, T first and 1 last, nearest to S evenly spaced half log-SNRs."""
    n = len(ab) - 1

    def lam(t):
        return 0.5 * (math.log(ab[t]) - math.log(omab[t]))

    if steps == 1:
        return [n]
    hi, lo = lam(1), lam(n)
    out = [0] * steps
    t = n
    for i in range(steps):
        target = lo + (hi - lo) * i / (steps - 1)
        cand = min(t, n)
        while cand > 1 and lam(cand - 1) <= target:
            cand -= 1
        if cand > 1 and abs(lam(cand - 1) - target) < abs(lam(cand) - target):
            cand -= 1
        latest = n if i == 0 else out[i - 1] - 1
        room = steps - 1 - i
        out[i] = max(1 + room, min(cand, latest))
    out[0] = n
    out[steps - 1] = 1
    return out


def solver_plan(steps):
    """Per step i: (t, sqrt(ab_t), sqrt(1 - ab_t), first, ratio, coef_x0, w_prev) of the DPM-Solver++(2M) update
    x' = ratio x + coef (c_now x0_now - w_prev x0_prev), where c_now = 1 + w_prev."""
    ab, omab = linear_schedule()
    ts = log_snr_grid(ab, omab, steps)

    def lam(t):
        return 0.5 * (math.log(ab[t]) - math.log(omab[t]))

    plan = []
    for i, t in enumerate(ts):
        row = {"t": t, "sab": math.sqrt(ab[t]), "somab": math.sqrt(omab[t]), "last": i == len(ts) - 1}
        if not row["last"]:
            nxt = ts[i + 1]
            h = lam(nxt) - lam(t)
            row["ratio"] = math.sqrt(omab[nxt]) / math.sqrt(omab[t])
            row["coef"] = math.sqrt(ab[nxt]) * -math.expm1(-h)
            row["w_prev"] = 1 / (2 * ((lam(t) - lam(ts[i - 1])) / h)) if i > 0 else 0.0
        plan.append(row)
    return ts, plan


def sample(net, plan, labels, shape, guidance=1.0, classes=10):
    """One batch: x_T, then every step of the plan; v-prediction, x0 clipped to [-1, 1] as diffusion4j does. At a
    guidance scale other than 0 and 1 each step is classifier-free guidance as diffusion4j's Guidance does it: the
    labelled and the unlabelled ("no class", label K) halves in one batched pass, v = v_none + w (v_label - v_none)."""
    x = torch.randn(shape)
    prev = None
    b = shape[0]
    guided = guidance not in (0.0, 1.0)
    if guidance == 0.0:
        labels = torch.full_like(labels, classes)
    both = torch.cat([labels, torch.full_like(labels, classes)]) if guided else labels
    for row in plan:
        t = torch.full((2 * b if guided else b,), row["t"], dtype=torch.long)
        if guided:
            v_label, v_none = net(torch.cat([x, x]), t, both).chunk(2)
            v = v_none + guidance * (v_label - v_none)
        else:
            v = net(x, t, both)
        x0 = (row["sab"] * x - row["somab"] * v).clamp_(-1, 1)
        if row["last"]:
            x = x0
            break
        d = x0 if prev is None else (1 + row["w_prev"]) * x0 - row["w_prev"] * prev
        x = row["ratio"] * x + row["coef"] * d
        prev = x0
    return x.clamp(-1, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale (two passes per step unless 0 or 1)")
    p.add_argument("--weights", help="a diffusion4j ema.safetensors of the mnist-w16 network")
    p.add_argument("--save", help="write the last batch (N, 1, 28, 28) in [-1, 1] to this .npy file")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = UNet(size=28, channels=1, base=16, mults=(1, 2, 2), res_blocks=1, attn_res=(7,), dropout=0.0,
               norm_groups=8, heads=1, classes=10).eval().requires_grad_(False)
    params = sum(q.numel() for q in net.parameters())
    loaded = load_diffusion4j(net, a.weights) if a.weights else 0
    fwd = torch.compile(net) if a.compile else net
    ts, plan = solver_plan(a.steps)
    labels = torch.arange(a.batch) % 10
    shape = (a.batch, 1, 28, 28)
    warm, times = [], []
    out = None
    with torch.no_grad():
        for i in range(a.warmup + a.repeats):
            start = time.perf_counter()
            out = sample(fwd, plan, labels, shape, a.guidance)
            (warm if i < a.warmup else times).append(time.perf_counter() - start)
    if a.save:
        import numpy as np

        np.save(a.save, out.numpy())
    sec = statistics.median(times)
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "compiled": a.compile,
        "parameters": params, "weights_loaded": bool(loaded), "weights": a.weights, "batch": a.batch, "guidance": a.guidance,
        "steps": a.steps, "timesteps": ts, "warmup": a.warmup, "repeats": a.repeats,
        "images_per_s": a.batch / sec, "seconds_per_batch": sec,
        "seconds_per_batch_all": [round(s, 4) for s in times], "warmup_s": [round(s, 4) for s in warm],
    }))


if __name__ == "__main__":
    main()

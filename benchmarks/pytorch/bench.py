"""Times PyTorch on the default diffusion4j UNet as diffusion4j's bench does: a training step at batch 64 (forward,
L_simple, backward, global-norm clipping at 1.0, AdamW at 2e-4, an EMA update) and forward passes without autograd at
batch 16 and 256, each the median of --repeats runs after --warmup; eager, and with --compile torch.compile (inductor).
Prints one JSON object. With --profile it times nothing and prints instead, for each of the three, every operator's
self time per pass under torch.profiler (--repeats passes after --warmup), to set beside
scripts/probes/ProfileProbe.java on diffusion4j's side."""
import argparse
import copy
import json
import statistics
import time

import torch
import torch.nn.functional as F

from unet import UNet


def median_ms(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = UNet()
    params = sum(p.numel() for p in net.parameters())
    ema = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    sqrt_ab = torch.cumprod(1 - betas, 0).sqrt().float()
    sqrt_1mab = (1 - torch.cumprod(1 - betas, 0)).sqrt().float()
    x0 = torch.rand(256, 1, 28, 28) * 2 - 1

    train_net = torch.compile(net) if a.compile else net

    def train_step():
        idx = torch.randint(0, 256, (64,))
        t = torch.randint(1, 1001, (64,))
        x = x0[idx]
        noise = torch.randn_like(x)
        xt = sqrt_ab[t - 1][:, None, None, None] * x + sqrt_1mab[t - 1][:, None, None, None] * noise
        loss = F.mse_loss(train_net(xt, t), noise)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), net.parameters()):
                pe.lerp_(pm, 1 - 0.999)

    fwd = torch.compile(net) if a.compile else net

    def forward(b):
        x = torch.randn(b, 1, 28, 28)
        t = torch.full((b,), 500)

        def run():
            net.eval()
            with torch.no_grad():
                fwd(x, t)
            net.train()

        return run

    passes = {"train_step_ms_b64": train_step, "forward_ms_b16": forward(16), "forward_ms_b256": forward(256)}
    if a.profile:
        for name, fn in passes.items():
            profile(name, fn, a.warmup, a.repeats)
        return
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "compiled": a.compile, "parameters": params}
    for name, fn in passes.items():
        out[name] = median_ms(fn, a.warmup, a.repeats)
    print(json.dumps(out))


def profile(name, fn, warmup, passes, top=25):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(passes):
            fn()
    wall = (time.perf_counter() - start) * 1000 / passes
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in rows) / 1000 / passes
    print("\n== %s: %.1f ms per pass under the profiler (wall), %.1f ms of operator self time" % (name, wall, total))
    for e in rows[:top]:
        ms = e.self_cpu_time_total / 1000 / passes
        print("%10.2f ms  %5.1f%%  %s" % (ms, 100 * ms / total, e.key))


if __name__ == "__main__":
    main()

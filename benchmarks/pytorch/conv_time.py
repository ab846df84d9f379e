"""The PyTorch half of scripts/probes/ConvTimeProbe.java (where the training step loses to PyTorch): for each convolution problem in the file
given (oneDNN's verbose notation, e.g. mb64_ic64oc64_ih28oh28kh3sh1dh0ph1; scripts/probes/unet-conv-shapes-b64.txt
holds the 22 of the default UNet's training step at batch 64), the median milliseconds of a float32 forward pass
without autograd and of a forward and backward pass of sum(y * r) under autograd (gradients for input and weight, the
input's only where it has more than one channel), after --warmup runs, over --repeats runs.

    VENV/bin/python benchmarks/pytorch/conv_time.py scripts/probes/unet-conv-shapes-b64.txt [--threads 2]"""
import argparse
import re
import statistics
import time

import torch
import torch.nn.functional as F

PROBLEM = re.compile(r"mb(\d+)_ic(\d+)oc(\d+)_ih(\d+)oh\d+kh(\d+)sh(\d+)dh0ph(\d+)")


def time_problem(mb, cin, cout, hw, k, s, pad, warmup, repeats):
    torch.manual_seed(3)
    x = torch.randn(mb, cin, hw, hw)
    w = torch.randn(cout, cin, k, k) * 0.1
    b = torch.zeros(cout)
    r = torch.randn_like(F.conv2d(x, w, b, s, pad))
    fwd, both = [], []
    for i in range(-warmup, repeats):
        start = time.perf_counter()
        with torch.no_grad():
            F.conv2d(x, w, b, s, pad)
        if i >= 0:
            fwd.append((time.perf_counter() - start) * 1000)
        xs = x.clone().requires_grad_(cin > 1)
        ws = w.clone().requires_grad_(True)
        start = time.perf_counter()
        (F.conv2d(xs, ws, b, s, pad) * r).sum().backward()
        if i >= 0:
            both.append((time.perf_counter() - start) * 1000)
    return statistics.median(fwd), statistics.median(both)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shapes")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print("%-55s %10s %10s" % ("problem", "fwd ms", "fwd+bwd ms"))
    total_f = total_fb = 0.0
    for line in open(a.shapes):
        m = PROBLEM.search(line)
        if not m:
            continue
        f, fb = time_problem(*map(int, m.groups()), a.warmup, a.repeats)
        total_f += f
        total_fb += fb
        print("%-55s %10.3f %10.3f" % (m.group(0), f, fb))
    print("%-55s %10.3f %10.3f" % ("sum", total_f, total_fb))


if __name__ == "__main__":
    main()

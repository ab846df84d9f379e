"""The default diffusion4j MNIST UNet (UNetConfig.mnist()) in PyTorch, layer for layer, for a side-by-side speed
comparison: base 32, channel multiples 1-2-2, one residual block per level on the way down (two up),
self-attention at 7x7 and in the middle, GroupNorm with up to 8 groups, SiLU, dropout 0.1 inside residual blocks,
a sinusoidal timestep embedding (dim 32) and a two-layer MLP to 128. Same parameter count: 1,112,801."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def groups_for(channels, wanted=8):
    for g in range(min(wanted, channels), 1, -1):
        if channels % g == 0:
            return g
    return 1


class TimestepEmbedding(nn.Module):
    def __init__(self, dim, out):
        super().__init__()
        self.dim = dim
        self.fc1 = nn.Linear(dim, out)
        self.fc2 = nn.Linear(out, out)

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - 1))
        args = t.float()[:, None] * freqs[None, :]
        return self.fc2(F.silu(self.fc1(torch.cat([args.sin(), args.cos()], dim=1))))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout)
        self.norm2 = nn.GroupNorm(groups_for(cout), cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(e))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + (x if self.skip is None else self.skip(x))


class Attention(nn.Module):
    def __init__(self, ch, heads=1):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups_for(ch), ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        n, c, h, w = x.shape
        d = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(n * self.heads, 3, d, h * w)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]
        attn = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(d), dim=2)
        out = (v @ attn.transpose(1, 2)).reshape(n, c, h, w)
        return x + self.proj(out)


class UNet(nn.Module):
    def __init__(self, size=28, channels=1, base=32, mults=(1, 2, 2), res_blocks=1, attn_res=(7,), dropout=0.1):
        super().__init__()
        emb = 4 * base
        self.time = TimestepEmbedding(base, emb)
        self.inc = nn.Conv2d(channels, base, 3, padding=1)
        skips = [base]
        ch, res = base, size
        self.down = nn.ModuleList()
        for i, m in enumerate(mults):
            out = base * m
            for _ in range(res_blocks):
                blk = nn.ModuleList([ResBlock(ch, out, emb, dropout)])
                ch = out
                if res in attn_res:
                    blk.append(Attention(ch))
                self.down.append(blk)
                skips.append(ch)
            if i < len(mults) - 1:
                self.down.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1)]))
                skips.append(ch)
                res //= 2
        self.mid1 = ResBlock(ch, ch, emb, dropout)
        self.mid_attn = Attention(ch)
        self.mid2 = ResBlock(ch, ch, emb, dropout)
        self.up = nn.ModuleList()
        for i in reversed(range(len(mults))):
            out = base * mults[i]
            for _ in range(res_blocks + 1):
                blk = nn.ModuleList([ResBlock(ch + skips.pop(), out, emb, dropout)])
                ch = out
                if res in attn_res:
                    blk.append(Attention(ch))
                self.up.append(blk)
            if i > 0:
                self.up.append(nn.ModuleList([nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch, ch, 3, padding=1)]))
                res *= 2
        self.out_norm = nn.GroupNorm(groups_for(ch), ch)
        self.out = nn.Conv2d(ch, channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, t):
        e = self.time(t)
        h = self.inc(x)
        hs = [h]
        for blk in self.down:
            if isinstance(blk[0], ResBlock):
                h = blk[0](h, e)
                for a in blk[1:]:
                    h = a(h)
            else:
                h = blk[0](h)
            hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, e)), e)
        for blk in self.up:
            if isinstance(blk[0], ResBlock):
                h = blk[0](torch.cat([h, hs.pop()], dim=1), e)
                for a in blk[1:]:
                    h = a(h)
            else:
                h = blk[1](blk[0](h))
        return self.out(F.silu(self.out_norm(h)))

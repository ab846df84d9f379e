"""The default diffusion4j MNIST UNet (UNetConfig.mnist()) in PyTorch, layer for layer, for a side-by-side speed
comparison: base 32, channel multiples 1-2-2, one residual block per level on the way down (two up),
self-attention at 7x7 and in the middle, GroupNorm with up to 8 groups, SiLU, dropout 0.1 inside residual blocks,
a sinusoidal timestep embedding (dim 32) and a two-layer MLP to 128. Same parameter count: 1,112,801.

Other configurations take the same arguments as UNetConfig: base width, channel multiples, residual blocks, attention
resolutions, dropout, norm_groups, heads and classes (a class-conditional network adds a learned embedding of the
label, K + 1 rows with K meaning "no class", to the timestep embedding, as ClassEmbedding.java does). d4j_names()
gives each parameter's name in a diffusion4j checkpoint (ema.safetensors), and load_diffusion4j() reads one with
numpy alone (no safetensors package needed)."""
import json
import math
import struct

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


class ClassEmbedding(nn.Module):
    """A learned vector per label 0..K (K: no class), through a one-hot product as in ClassEmbedding.java."""

    def __init__(self, classes, dim):
        super().__init__()
        self.rows = classes + 1
        self.weight = nn.Parameter(torch.randn(self.rows, dim))

    def forward(self, labels):
        return F.one_hot(labels.long(), self.rows).to(self.weight.dtype) @ self.weight


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, dropout, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(cin, groups), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout)
        self.norm2 = nn.GroupNorm(groups_for(cout, groups), cout)
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
    def __init__(self, ch, heads=1, groups=8):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups_for(ch, groups), ch)
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
    def __init__(self, size=28, channels=1, base=32, mults=(1, 2, 2), res_blocks=1, attn_res=(7,), dropout=0.1,
                 norm_groups=8, heads=1, classes=0):
        super().__init__()
        emb = 4 * base
        self.classes = classes
        # module name here -> module name in a diffusion4j checkpoint (UNet.java's child names)
        self.d4j = {"time": "time", "inc": "in", "mid1": "mid.res1", "mid_attn": "mid.attn", "mid2": "mid.res2",
                    "out_norm": "out.norm", "out": "out.conv"}
        self.time = TimestepEmbedding(base, emb)
        self.label = ClassEmbedding(classes, emb) if classes > 0 else None
        if self.label is not None:
            self.d4j["label"] = "label"
        self.inc = nn.Conv2d(channels, base, 3, padding=1)
        skips = [base]
        ch, res = base, size
        self.down = nn.ModuleList()
        for i, m in enumerate(mults):
            out = base * m
            for b in range(res_blocks):
                blk = nn.ModuleList([ResBlock(ch, out, emb, dropout, norm_groups)])
                self.d4j["down.%d.0" % len(self.down)] = "down.%d.res.%d" % (i, b)
                ch = out
                if res in attn_res:
                    blk.append(Attention(ch, heads, norm_groups))
                    self.d4j["down.%d.1" % len(self.down)] = "down.%d.attn.%d" % (i, b)
                self.down.append(blk)
                skips.append(ch)
            if i < len(mults) - 1:
                self.d4j["down.%d.0" % len(self.down)] = "down.%d.downsample.conv" % i
                self.down.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1)]))
                skips.append(ch)
                res //= 2
        self.mid1 = ResBlock(ch, ch, emb, dropout, norm_groups)
        self.mid_attn = Attention(ch, heads, norm_groups)
        self.mid2 = ResBlock(ch, ch, emb, dropout, norm_groups)
        self.up = nn.ModuleList()
        for i in reversed(range(len(mults))):
            out = base * mults[i]
            for b in range(res_blocks + 1):
                blk = nn.ModuleList([ResBlock(ch + skips.pop(), out, emb, dropout, norm_groups)])
                self.d4j["up.%d.0" % len(self.up)] = "up.%d.res.%d" % (i, b)
                ch = out
                if res in attn_res:
                    blk.append(Attention(ch, heads, norm_groups))
                    self.d4j["up.%d.1" % len(self.up)] = "up.%d.attn.%d" % (i, b)
                self.up.append(blk)
            if i > 0:
                self.d4j["up.%d.1" % len(self.up)] = "up.%d.upsample.conv" % i
                self.up.append(nn.ModuleList([nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch, ch, 3, padding=1)]))
                res *= 2
        self.out_norm = nn.GroupNorm(groups_for(ch, norm_groups), ch)
        self.out = nn.Conv2d(ch, channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, t, labels=None):
        e = self.time(t)
        if self.label is not None:
            if labels is None:  # the "no class" label, as UNet.java gives an unlabelled pass
                labels = torch.full((x.shape[0],), self.classes, dtype=torch.long)
            e = e + self.label(labels)
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

    def d4j_names(self):
        """Each parameter's name here -> its name in a diffusion4j checkpoint."""
        names = {}
        for name, _ in self.named_parameters():
            module, leaf = name.rsplit(".", 1)
            for prefix in sorted(self.d4j, key=len, reverse=True):
                if module == prefix or module.startswith(prefix + "."):
                    names[name] = self.d4j[prefix] + module[len(prefix):] + "." + leaf
                    break
            else:
                raise KeyError("no diffusion4j name for " + name)
        return names


def read_safetensors(path):
    """{name: float32 tensor} from a .safetensors file: an 8-byte little-endian header length, a JSON header, then
    the raw little-endian data; only F32 tensors (what diffusion4j writes)."""
    import numpy as np

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError("%s: %s tensors are not read here" % (name, info["dtype"]))
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def load_diffusion4j(net, path):
    """Loads a diffusion4j checkpoint's weights into net; every name and shape must match, both ways."""
    tensors = read_safetensors(path)
    names = net.d4j_names()
    missing = sorted(set(names.values()) - set(tensors))
    extra = sorted(set(tensors) - set(names.values()))
    if missing or extra:
        raise ValueError("names differ: missing in the file %s, not in the network %s" % (missing, extra))
    state = {}
    for mine, theirs in names.items():
        want = tuple(net.get_parameter(mine).shape)
        if tuple(tensors[theirs].shape) != want:
            raise ValueError("%s (%s): shape %s in the file, %s here" % (theirs, mine, tuple(tensors[theirs].shape), want))
        state[mine] = tensors[theirs]
    net.load_state_dict(state, strict=True)
    return len(state)

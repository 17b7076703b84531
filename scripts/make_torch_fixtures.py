"""Writes the PyTorch checkpoint fixtures for src/io/torch/*.test.ts into test/fixtures/torch/.

A dev script, not part of the build: it needs PyTorch (written against 1.13) and NumPy.
Run from the repository root:

    /usr/bin/python3 scripts/make_torch_fixtures.py

Next to the checkpoints it writes expected.json: for each fixture, every tensor the TypeScript
loader must produce (name -> dtype, shape and row-major values, float16/bfloat16 upcast to
float32 exactly; int64 as decimal strings because they exceed 2^53). The OpenAI-layout fixture
is a slice of ../shared/reference/clip/tiny/openai-fp16.safetensors, parsed by hand because
torch 1.13 has no safetensors package; its test compares against that file directly.
"""

import collections
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "torch"
REFERENCE = ROOT.parent / "shared" / "reference" / "clip" / "tiny" / "openai-fp16.safetensors"
# Where the malicious fixture's payload would leave its mark if anything ever ran it.
PWNED = "/tmp/vlmkit-torch-fixture-pwned"

expected = {}


def describe(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        return {"dtype": "float32", "shape": list(t.shape), "values": [float(v) for v in t.float().flatten().tolist()]}
    if t.dtype == torch.int64:
        return {"dtype": "int64", "shape": list(t.shape), "values": [str(v) for v in t.flatten().tolist()]}
    return {"dtype": "int32", "shape": list(t.shape), "values": [int(v) for v in t.int().flatten().tolist()]}


def save(name, obj, state_dict, **kwargs):
    """torch.save `obj` as `name` and record the state dict the loader must find in it."""
    torch.save(obj, OUT / name, **kwargs)
    expected[name] = {k: describe(v) for k, v in state_dict.items()}


def rezip(src, dst, transform):
    """Copies a zip entry by entry; `transform(name, data)` returns new data, or None to drop it."""
    with zipfile.ZipFile(OUT / src) as zin, zipfile.ZipFile(OUT / dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = transform(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)


def write_zip64(path, entries):
    """A STORED zip whose every size and offset goes through ZIP64 fields, as a > 4 GB
    checkpoint's would. zipfile only uses ZIP64 when it must, so the records are packed here."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        raw = name.encode()
        offset = out.tell()
        crc = zipfile.crc32(data)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(raw), len(local_extra)))
        out.write(raw + local_extra + data)
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(raw), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
            + raw
            + extra
        )
    cd_offset = out.tell()
    for record in central:
        out.write(record)
    cd_size = out.tell() - cd_offset
    zip64_eocd = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), cd_size, cd_offset))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_eocd, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    path.write_bytes(out.getvalue())


class Evil:
    """Pickles as a call to os.system: loading it with a trusting unpickler runs a command."""

    def __reduce__(self):
        return (os.system, (f"touch {PWNED}",))


class Block(nn.Module):
    """A CLIP-like vision tower: conv stem, class embedding, a plain tensor attribute (not state)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, kernel_size=2, stride=2, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(4))
        self.ln_pre = nn.LayerNorm(4)
        # CLIP's blocks: in_proj_weight is a parameter of the attention, out_proj a submodule.
        self.attn = nn.MultiheadAttention(4, 2)
        self.register_buffer("position_ids", torch.arange(3))
        # OpenAI's CLIP keeps attn_mask like this: an attribute, so not in state_dict().
        self.attn_mask = torch.ones(2, 2)

    def forward(self, x):
        x = self.ln_pre(self.conv1(x).mean((2, 3)) + self.class_embedding)[None]
        return self.attn(x, x, x, need_weights=False)[0][0] + self.attn_mask.sum()


class TinyClip(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = Block()
        self.transformer = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
        self.text_projection = nn.Parameter(torch.randn(3, 2))
        self.logit_scale = nn.Parameter(torch.tensor(2.9957))

    def forward(self, x):
        return (self.transformer(self.visual(x)) @ self.text_projection) * self.logit_scale.exp()


def read_safetensors(path, names):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name in names:
            info = header[name]
            assert info["dtype"] == "F16"
            start, end = info["data_offsets"]
            f.seek(base + start)
            array = np.frombuffer(f.read(end - start), dtype="<f2").reshape(info["shape"])
            out[name] = torch.from_numpy(array.copy())
        return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    dtypes = {
        "f32": torch.randn(2, 3),
        "f16": torch.randn(3, 2).half(),
        "bf16": torch.randn(4).bfloat16(),
        "f64": torch.tensor([1.0 / 3.0, -2.5], dtype=torch.float64),
        "i64": torch.tensor([[2**62 + 1, -5], [0, 7]], dtype=torch.int64),
        "i32": torch.tensor([-(2**31), 2**31 - 1, 3], dtype=torch.int32),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 3),
        "param": nn.Parameter(torch.randn(2, 2)),
    }
    save("dtypes.pt", dtypes, dtypes)
    # Protocol 4 exercises the opcodes protocol 2 never emits (FRAME, MEMOIZE, STACK_GLOBAL...).
    torch.save(dtypes, OUT / "protocol4.pt", pickle_protocol=4)
    expected["protocol4.pt"] = expected["dtypes.pt"]
    # Protocols 0 and 1 have no PROTO opcode and use the text opcodes (INT, GET, PUT, ...).
    # torch cannot load its own protocol-0 file (the persistent id is written as text): that
    # one is for the error message.
    torch.save(dtypes, OUT / "protocol1.pt", pickle_protocol=1)
    expected["protocol1.pt"] = expected["dtypes.pt"]
    torch.save({"x": torch.ones(2)}, OUT / "protocol0.pt", pickle_protocol=0)

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    tied = torch.randn(3)
    views = {
        "base": base,
        "row": base[2],  # storage offset 12
        "transposed": base.t(),
        "strided": base[:, ::2],
        "window": base[1:3, 2:5],
        "column": base[:, 4],
        "permuted": base.reshape(2, 3, 4).permute(2, 0, 1),  # 3-d, exercises carries across dims
        "expanded": base[0, :1].expand(3, 2),  # stride 0
        "tied_a": tied,
        "tied_b": tied,
    }
    save("views.pt", views, views)

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 2))
    save("module.pt", model.state_dict(), model.state_dict())

    inner = collections.OrderedDict([("encoder.weight", torch.randn(2, 2)), ("encoder.bias", torch.randn(2))])
    wrapped = {"epoch": 7, "lr": 0.25, "name": "run-1", "steps": [1, 2], "state_dict": inner, "optimizer": {"state": {}, "param_groups": [{"lr": 0.25}]}}
    save("wrapped.pt", wrapped, inner)

    torch.manual_seed(1)
    clip = TinyClip().eval()
    scripted = torch.jit.script(clip)
    torch.jit.save(scripted, OUT / "scripted.pt")
    expected["scripted.pt"] = {k: describe(v) for k, v in clip.state_dict().items()}

    if os.path.exists(PWNED):
        os.remove(PWNED)
    torch.save({"weights": torch.ones(2), "payload": Evil()}, OUT / "malicious.pt")
    torch.save({"payload": Evil()}, OUT / "malicious_p4.pt", pickle_protocol=4)

    torch.save({"c": torch.zeros(2, dtype=torch.complex64)}, OUT / "complex.pt")
    torch.save({"x": torch.ones(2)}, OUT / "legacy.pt", _use_new_zipfile_serialization=False)

    data = (OUT / "dtypes.pt").read_bytes()
    (OUT / "truncated.pt").write_bytes(data[: len(data) // 2])
    rezip("views.pt", "missing_storage.pt", lambda name, d: None if name == "views/data/0" else d)
    rezip("views.pt", "short_storage.pt", lambda name, d: d[:40] if name == "views/data/0" else d)
    rezip("dtypes.pt", "no_data_pkl.pt", lambda name, d: None if name.endswith("data.pkl") else d)

    with zipfile.ZipFile(OUT / "dtypes.pt") as zin, zipfile.ZipFile(OUT / "deflated.pt", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    expected["deflated.pt"] = expected["dtypes.pt"]

    with zipfile.ZipFile(OUT / "views.pt") as zin:
        write_zip64(OUT / "zip64.pt", [(info.filename, zin.read(info)) for info in zin.infolist()])
    with zipfile.ZipFile(OUT / "zip64.pt") as check:
        assert check.testzip() is None
    expected["zip64.pt"] = expected["views.pt"]

    if REFERENCE.exists():
        names = [
            "logit_scale",
            "positional_embedding",
            "visual.class_embedding",
            "visual.ln_pre.weight",
            "visual.ln_pre.bias",
            "transformer.resblocks.0.attn.in_proj_bias",
            "visual.transformer.resblocks.1.ln_2.weight",
        ]
        # Stored float16, as OpenAI's own checkpoints are; the test checks it against the source.
        torch.save(read_safetensors(REFERENCE, names), OUT / "openai_slice.pt")
    else:
        print(f"skipped openai_slice.pt: {REFERENCE} is absent")

    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    main()

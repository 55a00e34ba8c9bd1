"""Reads and writes safetensors files with the standard library and torch only (no `safetensors` package here).

The writer produces Federation's canonical form (docs/FORMATS.md, section 2): F32, compact JSON, tensors in byte-wise
name order with members dtype, shape, data_offsets, data contiguous in that order, header padded with spaces so that
8 + N is a multiple of 8. The reader accepts F32, F16 and BF16 and returns float32 tensors.
"""
import json
import struct

import torch

_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}


def read(path):
    """Returns {name: float32 tensor} from the safetensors file at `path`; raises ValueError on anything malformed."""
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (length,) = struct.unpack_from("<Q", data, 0)
    if 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json.loads(data[8:8 + length].decode("utf-8"))
    buffer = memoryview(data)[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {entry['dtype']}; F32, F16 or BF16 expected")
        dtype, size = _DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        shape = [int(dimension) for dimension in entry["shape"]]
        count = 1
        for dimension in shape:
            count *= dimension
        if end - begin != count * size or end > len(buffer):
            raise ValueError(f"{path}: tensor '{name}' spans {end - begin} bytes, not {count * size}")
        raw = bytes(buffer[begin:end])
        if dtype is torch.bfloat16:
            # torch 1.13 cannot take bfloat16 from a buffer: widen the 16 bits to the top of a float32.
            halves = torch.frombuffer(bytearray(raw), dtype=torch.int16).to(torch.int32) & 0xFFFF
            values = (halves << 16).view(torch.float32) if count else torch.zeros(0)
        else:
            values = torch.frombuffer(bytearray(raw), dtype=dtype).to(torch.float32) if count else torch.zeros(0)
        tensors[name] = values.reshape(shape).clone()
    return tensors


def write(path, tensors):
    """Writes {name: tensor} as canonical F32 safetensors."""
    names = sorted(tensors, key=lambda name: name.encode("utf-8"))
    header, chunks, offset = {}, [], 0
    for name in names:
        values = tensors[name].detach().to(torch.float32).contiguous().cpu()
        raw = values.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(values.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)))
        file.write(text)
        for raw in chunks:
            file.write(raw)

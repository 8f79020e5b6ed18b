#!/usr/bin/env python3
"""Build a tiny, deterministic OCI image layout (no network, no base image).

usage: mkimage.py OUTDIR TAG [LAYERS] [LAYER_KB]
Each layer is a gzipped tar with one small file of pseudo-random bytes
(LAYER_KB KiB, default 4) so layers stay a few KB and distinct. LAYER_KB may be
a comma list, one size per layer (e.g. `3 4,8,16`: layers of different sizes,
so a bandwidth-limited upload finishes them at different times).
"""
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile


def blob(outdir, data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(outdir, "blobs", "sha256")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def layer(i, kb, seed):
    rnd = random.Random(f"{seed}-{i}")
    payload = bytes(rnd.getrandbits(8) for _ in range(kb * 1024))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
        ti = tarfile.TarInfo(f"regauth/layer{i}.bin")
        ti.size, ti.mtime, ti.mode = len(payload), 1700000000, 0o644
        t.addfile(ti, io.BytesIO(payload))
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar)
    return tar, gz.getvalue()


def main(outdir, tag, nlayers=2, kb="4"):
    os.makedirs(outdir, exist_ok=True)
    sizes = [int(k) for k in str(kb).split(",")]
    layers, diff_ids = [], []
    for i in range(nlayers):
        tar, gz = layer(i, sizes[min(i, len(sizes) - 1)], tag)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": blob(outdir, gz), "size": len(gz)})
    config = json.dumps({
        "created": "2023-11-14T22:13:20Z", "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/regauth/hello"], "Labels": {"org.regauth.sample": tag}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": f"regauth mkimage layer {i}"}
                    for i in range(nlayers)],
    }, separators=(",", ":")).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(outdir, config), "size": len(config)},
        "layers": layers,
    }, separators=(",", ":")).encode()
    md = blob(outdir, manifest)
    with open(os.path.join(outdir, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(outdir, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
            "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    print(md)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], a[1], int(a[2]) if len(a) > 2 else 2, a[3] if len(a) > 3 else "4")

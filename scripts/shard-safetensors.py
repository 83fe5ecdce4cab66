#!/usr/bin/env python3
"""Splits one .safetensors file into N shards plus model.safetensors.index.json,
the layout Hugging Face uses for large checkpoints. Used once to store the
case3 golden checkpoint as a sharded test case (tests/data/golden/case3_*)."""
import json, struct, sys, os

def main(src, out_dir, n):
    blob = open(src, 'rb').read()
    hlen = struct.unpack('<Q', blob[:8])[0]
    header = json.loads(blob[8:8 + hlen])
    meta = header.pop('__metadata__', None)
    data = blob[8 + hlen:]
    names = list(header.keys())
    per = (len(names) + n - 1) // n
    weight_map = {}
    for i in range(n):
        part = names[i * per:(i + 1) * per]
        fname = f'model-{i + 1:05d}-of-{n:05d}.safetensors'
        h, chunks, off = {}, [], 0
        if meta is not None:
            h['__metadata__'] = meta
        for name in part:
            t = header[name]
            b, e = t['data_offsets']
            chunks.append(data[b:e])
            h[name] = {'dtype': t['dtype'], 'shape': t['shape'], 'data_offsets': [off, off + e - b]}
            off += e - b
            weight_map[name] = fname
        hb = json.dumps(h, separators=(',', ':')).encode()
        hb += b' ' * ((8 - len(hb) % 8) % 8)
        with open(os.path.join(out_dir, fname), 'wb') as f:
            f.write(struct.pack('<Q', len(hb)) + hb + b''.join(chunks))
    with open(os.path.join(out_dir, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': len(data)}, 'weight_map': weight_map}, f, indent=2)

if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

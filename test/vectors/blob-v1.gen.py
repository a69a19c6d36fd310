#!/usr/bin/env python3
# Writes test/vectors/blob-v1.json (python3 test/vectors/blob-v1.gen.py > test/vectors/blob-v1.json). Needs pyca/cryptography.
# Independent XChaCha20-Poly1305 from xchacha.py (pyca/cryptography ChaCha20Poly1305 + a HChaCha20 written there).
import hashlib, json
from xchacha import hchacha, xseal, b64  # shared with the other generators
LABEL=b'brainwaves/v1/image-blob'
out=[]
for name,mime,code,img,key,nonce in [
  ('tiny webp-typed body','image/webp',1,b'RIFF\x0c\x00\x00\x00WEBPVP8 ',bytes(range(1,33)),bytes(range(100,124))),
  ('jpeg-typed body of 1000 bytes','image/jpeg',2,bytes([0xff,0xd8,0xff])+bytes((i*7)&0xff for i in range(997)),bytes(range(200,232)),bytes(range(50,74))),
  ('one-byte body','image/webp',1,b'\x00',bytes([0xaa])*32,bytes([0x55])*24),
]:
    head=bytes([1,code])+nonce
    blob=head+xseal(key,nonce,LABEL+b'\0'+head,img)
    out.append(dict(name=name,mime=mime,image=img.hex(),key=key.hex(),nonce=nonce.hex(),blob=blob.hex(),id=b64(hashlib.sha256(blob).digest())))
print(json.dumps({"description":"BrainWaves image blob v1 fixed vectors (shared/crypto/blob.ts). Byte strings are hex; sealBlob draws the key then the nonce from its rng. blob and id were computed independently of @noble: XChaCha20-Poly1305 from pyca/cryptography's ChaCha20Poly1305 with a HChaCha20 checked against draft-irtf-cfrg-xchacha-03 §2.2.1, SHA-256 from hashlib.","blob":out},indent=2))

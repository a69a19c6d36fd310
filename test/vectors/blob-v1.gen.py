#!/usr/bin/env python3
# Writes test/vectors/blob-v1.json (python3 test/vectors/blob-v1.gen.py > test/vectors/blob-v1.json). Needs pyca/cryptography.
# Independent XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2.2–2.3) via pyca/cryptography's ChaCha20Poly1305 + a HChaCha20 written here.
import hashlib, json, base64, struct
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
def rotl(x,n): return ((x<<n)|(x>>(32-n)))&0xffffffff
def qr(s,a,b,c,d):
    s[a]=(s[a]+s[b])&0xffffffff; s[d]=rotl(s[d]^s[a],16)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]=rotl(s[b]^s[c],12)
    s[a]=(s[a]+s[b])&0xffffffff; s[d]=rotl(s[d]^s[a],8)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]=rotl(s[b]^s[c],7)
def hchacha(key,n16):
    s=[0x61707865,0x3320646e,0x79622d32,0x6b206574]+list(struct.unpack('<8I',key))+list(struct.unpack('<4I',n16))
    for _ in range(10):
        qr(s,0,4,8,12);qr(s,1,5,9,13);qr(s,2,6,10,14);qr(s,3,7,11,15)
        qr(s,0,5,10,15);qr(s,1,6,11,12);qr(s,2,7,8,13);qr(s,3,4,9,14)
    return struct.pack('<8I',*(s[0:4]+s[12:16]))
# draft §2.2.1 test vector
k=bytes(range(32)); n=bytes.fromhex('000000090000004a0000000031415927')
assert hchacha(k,n).hex()=='82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc'
def xseal(key,nonce,aad,pt):
    return ChaCha20Poly1305(hchacha(key,nonce[:16])).encrypt(b'\0\0\0\0'+nonce[16:],pt,aad)
b64=lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
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

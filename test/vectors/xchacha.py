# Owns the independent XChaCha20-Poly1305 the vector generators share (draft-irtf-cfrg-xchacha-03 §2.2–2.3):
# HChaCha20 written here, checked against the draft's §2.2.1 vector, over pyca/cryptography's ChaCha20Poly1305.
import base64, struct
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
assert hchacha(bytes(range(32)),bytes.fromhex('000000090000004a0000000031415927')).hex()=='82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc'
def xseal(key,nonce,aad,pt): return ChaCha20Poly1305(hchacha(key,nonce[:16])).encrypt(b'\0\0\0\0'+nonce[16:],pt,aad)
b64=lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()

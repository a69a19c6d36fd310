#!/usr/bin/env python3
# Writes test/vectors/device-list-v1.json and test/vectors/link-v1.json:
#   python3 test/vectors/devices-v1.gen.py device-list > test/vectors/device-list-v1.json
#   python3 test/vectors/devices-v1.gen.py link > test/vectors/link-v1.json
# Needs pyca/cryptography. An implementation of the layouts in shared/crypto/devices.ts and link.ts written apart from
# them: Ed25519, X25519, HKDF-SHA256 and ChaCha20-Poly1305 from pyca/cryptography (OpenSSL), HChaCha20 from xchacha.py (checked
# against draft-irtf-cfrg-xchacha-03 §2.2.1), SHA-256 from hashlib. Every secret and nonce is fixed.
import hashlib, json, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes, serialization

RAW = dict(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
from xchacha import hchacha, xseal, b64  # shared with the other generators
seq=lambda n,start: bytes((start+i)&0xff for i in range(n))
u64=lambda n: struct.pack('>Q',n)
u32=lambda n: struct.pack('>I',n)
u16=lambda n: struct.pack('>H',n)

L = lambda s: s.encode()
PAIR_SALT=L('brainwaves/v1/pair-salt')
def derive(ikm,label,ctx,n=32): return HKDF(algorithm=hashes.SHA256(),length=n,salt=PAIR_SALT,info=L(label)+ctx).derive(ikm)
def signed(label,*parts): return L(label)+b'\0'+b''.join(parts)
def ed(seed):
    k=Ed25519PrivateKey.from_private_bytes(seed); return k, k.public_key().public_bytes(**RAW)
def xk(secret):
    k=X25519PrivateKey.from_private_bytes(secret); return k, k.public_key().public_bytes(**RAW)

def device(idb,sig_seed,dh_secret):
    sk,sp=ed(sig_seed); _,dp=xk(dh_secret); return dict(id=idb,sk=sk,sigPub=sp,dhPub=dp)
def bind(identity,d): return d['sk'].sign(signed('brainwaves/v1/device-binding-signature',identity,d['id'],d['sigPub'],d['dhPub']))
def device_list(id_sk,identity,version,issued,entries):
    body=bytes([1])+identity+u64(version)+u64(issued)+bytes([len(entries)])
    for d,name,added in sorted(entries,key=lambda e:e[0]['id']):
        nb=name.encode(); body+=d['id']+d['sigPub']+d['dhPub']+u64(added)+bytes([len(nb)])+nb+bind(identity,d)
    return body+id_sk.sign(signed('brainwaves/v1/device-list-signature',body))

# The identity: sig secret 01..20, dh secret 21..40 (generateIdentity draws sig then dh).
ID_SIG=seq(32,1); ID_DH=seq(32,0x21)
id_sk,identity=ed(ID_SIG); _,id_dh=xk(ID_DH)
first=device(seq(16,0xf0),ID_SIG,ID_DH)          # deviceFromIdentity: only the id is drawn
phone=device(seq(16,0x10),seq(32,0x41),seq(32,0x61))   # generateDevice draws id, sig secret, dh secret
tablet=device(seq(16,0x80),seq(32,0x81),seq(32,0xa1))
def dev_json(d,name,added,sig=None,dh=None):
    return dict(id=d['id'].hex(),sigSecret=sig.hex() if sig else None,dhSecret=dh.hex() if dh else None,name=name,added=added,bind=bind(identity,d).hex())

def device_lists():
    lists=[]
    e1=[(first,'Laptop',1700000000000)]
    e2=e1+[(phone,'Ann’s phone 📱',1700000100000),(tablet,'tablet',1700000200000)]
    e3=[e for e in e2 if e[0] is not phone]
    for name,version,issued,entries in [('the identity as its own first device',1,1700000000000,e1),
                                         ('three devices, given out of id order',2,1700000200000,e2),
                                         ('the phone removed',3,1700000300000,e3)]:
        lists.append(dict(name=name,version=version,issued=issued,
            devices=[dict(id=d['id'].hex(),keys='identity' if d is first else ('phone' if d is phone else 'tablet'),name=n,added=a,bind=bind(identity,d).hex()) for d,n,a in entries],
            list=device_list(id_sk,identity,version,issued,entries).hex()))
    return dict(description='BrainWaves device list v1 fixed vectors (shared/crypto/devices.ts). Hex bytes. The identity is generateIdentity with sig secret 01..20 then dh secret 21..40; "identity" device = deviceFromIdentity (id f0..ff); "phone" = generateDevice drawing id 10..1f, sig secret 41..60, dh secret 61..80; "tablet" = id 80..8f, sig 81..a0, dh a1..c0. Devices are listed in the order given to signDeviceList; the list is in id order. Computed apart from @noble: Ed25519/X25519 from pyca/cryptography (test/vectors/devices-v1.gen.py).',
        identitySecrets=[ID_SIG.hex(),ID_DH.hex()],identity=identity.hex(),
        keys=dict(phone=[seq(16,0x10).hex(),seq(32,0x41).hex(),seq(32,0x61).hex()],tablet=[seq(16,0x80).hex(),seq(32,0x81).hex(),seq(32,0xa1).hex()],identity=[seq(16,0xf0).hex()]),
        lists=lists,riding=riding(lists))

# The age bound on a list riding along with someone else's item (verifyRidingDeviceList). A reader who holds a list of
# the identity decides by version alone (lower, or same version with other bytes: rollback); one who holds none takes it
# only while -CLOCK_SKEW <= now - issued <= MAX_RIDING_AGE. Signatures are checked first and hold in every case here.
DAY=86400000; MAX_RIDING_AGE=30*DAY; CLOCK_SKEW=DAY; REFRESH=MAX_RIDING_AGE//2
def riding_result(lists,i,held,now):
    l=lists[i]
    if held is not None:
        h=lists[held]
        return 'rollback' if l['version']<h['version'] or (l['version']==h['version'] and l['list']!=h['list']) else 'ok'
    age=now-l['issued']
    return 'stale' if age< -CLOCK_SKEW or age>MAX_RIDING_AGE else 'ok'
def riding(lists):
    t0=lists[0]['issued']; t1=lists[1]['issued']
    cases=[('no list held: exactly 30 days old',0,None,t0+MAX_RIDING_AGE),
           ('no list held: 30 days and 1 ms old',0,None,t0+MAX_RIDING_AGE+1),
           ('no list held: a year old',2,None,lists[2]['issued']+365*DAY),
           ('no list held: issued a day ahead of the reader',0,None,t0-CLOCK_SKEW),
           ('no list held: issued a day and 1 ms ahead of the reader',0,None,t0-CLOCK_SKEW-1),
           ('the same list held: a year old, taken by version',1,1,t1+365*DAY),
           ('an older list held: a year old, taken by version',2,1,t1+365*DAY),
           ('a newer list held: fresh, still a rollback',1,2,t1)]
    return dict(description='Riding lists (verifyRidingDeviceList): list and held index "lists" above (held null: the reader holds none); now is the reader\'s clock, ms since the epoch; result "ok" or the BwError code.',
        maxAgeMs=MAX_RIDING_AGE,clockSkewMs=CLOCK_SKEW,refreshMs=REFRESH,
        cases=[dict(name=n,list=i,held=h,now=now,result=riding_result(lists,i,h,now)) for n,i,h,now in cases])

def link():
    # The new device is "phone" above; the existing device is the identity's first device.
    link_id=seq(16,0xc0); eph_new=seq(32,0xd0); nonce=seq(32,0x30); eph_old=seq(32,0x50)
    now=1700001000000; ttl=600000; name='Ann’s phone 📱'; relay='wss://relay.example:8443'
    commit=hashlib.sha256(signed('brainwaves/v1/link/commitment',link_id,nonce)).digest()
    en_k,en_p=xk(eph_new); eo_k,eo_p=xk(eph_old)
    nb=name.encode(); rb=relay.encode()
    offer=bytes([1])+link_id+u64(now+ttl)+en_p+commit+phone['id']+phone['sigPub']+phone['dhPub']+bytes([len(nb)])+nb+bytes([len(rb)])+rb
    answer=bytes([1])+link_id+eo_p+identity+first['sigPub']
    reveal=bytes([1])+link_id+nonce+bind(identity,phone)
    shared=en_k.exchange(X25519PublicKey.from_public_bytes(eo_p))
    assert shared==eo_k.exchange(X25519PublicKey.from_public_bytes(en_p))
    th=hashlib.sha256(signed('brainwaves/v1/link/transcript',offer,answer,reveal)).digest()
    key=derive(shared,'brainwaves/v1/link/channel-key',th)
    n=int.from_bytes(derive(shared,'brainwaves/v1/link/short-auth-string',th,5),'big')%1000000
    sas='%06d'%n; sas=sas[:3]+' '+sas[3:]
    tag=b64(derive(link_id,'brainwaves/v1/link/relay-tag',b'',16))
    # The provision: list v2 = the first device and the phone; the identity's profile card (content.ts signItem).
    lst=device_list(id_sk,identity,2,now+5000,[(first,'Laptop',1700000000000),(phone,name,now+5000)])
    body=json.dumps(dict(kind='profile',id=b64(seq(16,0x70)),ts=now,name='Ann',bio='hello',v=2),separators=(',',':'),ensure_ascii=False).encode()
    profile=identity+id_sk.sign(signed('brainwaves/v2/item-signature',identity,body))+body
    sync=bytes((i*31+7)&0xff for i in range(9000)); chunks_n=2
    payload=u16(len(lst))+lst+u16(len(profile))+profile+u32(chunks_n)+u64(len(sync))
    def sealmsg(kind,index,total,pt,nonce24):
        head=bytes([1,kind])+link_id+first['sigPub']+u32(index)+u32(total)
        return head+nonce24+xseal(key,nonce24,head,pt)
    prov_nonce=seq(24,0x90); chunk_nonces=[seq(24,0xa0),seq(24,0xb8)]
    provision=sealmsg(1,0,1,payload,prov_nonce)
    chunks=[sealmsg(2,i,chunks_n,sync[i*8192:(i+1)*8192],chunk_nonces[i]) for i in range(chunks_n)]
    return dict(description='BrainWaves device link v1 fixed vectors (shared/crypto/link.ts). Hex bytes. Identity and devices as in device-list-v1.json: the new device is "phone", the answering device is the identity\'s first device ("identity" keys, id f0..ff). createLinkOffer draws linkId, ephemeral secret, nonce; answerLink draws its ephemeral secret; sealProvision draws its nonce; sealSync one nonce per chunk. The sync stream is byte i = (31 i + 7) mod 256 for i < syncBytes. Computed apart from @noble: X25519/Ed25519/HKDF/ChaCha20-Poly1305 from pyca/cryptography, HChaCha20 written in test/vectors/devices-v1.gen.py.',
        now=now,ttlMs=ttl,name=name,relay=relay,linkId=link_id.hex(),newEphSecret=eph_new.hex(),nonce=nonce.hex(),oldEphSecret=eph_old.hex(),
        offer=offer.hex(),code='bwlink1.'+b64(offer),answer=answer.hex(),reveal=reveal.hex(),channelKey=key.hex(),sas=sas,linkTag=tag,
        provisionList=lst.hex(),listIssued=now+5000,profileItem=profile.hex(),syncBytes=len(sync),
        provisionNonce=prov_nonce.hex(),provision=provision.hex(),chunkNonces=[c.hex() for c in chunk_nonces],chunks=[c.hex() for c in chunks])

which=sys.argv[1] if len(sys.argv)>1 else ''
if which=='device-list': print(json.dumps(device_lists(),indent=2,ensure_ascii=False))
elif which=='link': print(json.dumps(link(),indent=2,ensure_ascii=False))
else: sys.exit('usage: devices-v1.gen.py device-list|link')

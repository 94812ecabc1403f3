# Known-answer vectors for firmware/secure-channel (SCP11b key agreement, SCP03 wrapping) made by
# an independent implementation: pyca/cryptography's ECDH, X963KDF, CMAC and AES. Run with
# python3 (cryptography 48) and paste the output into tests/scenarios/secure-channel-vectors.ts.
from cryptography.hazmat.primitives import hashes, cmac
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

def key_from_seed(seed):  # FIPS 186-5 A.2.1, as P256.secretKeyFromSeed
    return ec.derive_private_key(int.from_bytes(seed, 'big') % (N - 1) + 1, ec.SECP256R1())

def pub(k):
    return k.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)

def tlv(tag, value):
    t = tag.to_bytes(2 if tag > 0xff else 1, 'big')
    n = len(value)
    l = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n <= 0xff else bytes([0x82]) + n.to_bytes(2, 'big')
    return t + l + value

def mac(key, data):
    c = cmac.CMAC(algorithms.AES(key)); c.update(data); return c.finalize()

def aes_cbc(key, iv, data, decrypt=False):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    x = c.decryptor() if decrypt else c.encryptor()
    return x.update(data) + x.finalize()

def icv(key, counter, response):
    block = (b'\x80' if response else b'\x00') + counter.to_bytes(15, 'big')
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()

def pad(d):
    d = d + b'\x80'
    return d + b'\x00' * (-len(d) % 16)

card_static = key_from_seed(bytes([0x11]) * 48)
terminal_eph = key_from_seed(bytes([0x22]) * 48)
card_eph = key_from_seed(bytes([0x33]) * 48)

crt = tlv(0xA6, tlv(0x90, b'\x11\x00') + tlv(0x95, b'\x3c') + tlv(0x80, b'\x88') + tlv(0x81, b'\x10'))
request = crt + tlv(0x5F49, pub(terminal_eph))
sh_see = terminal_eph.exchange(ec.ECDH(), card_eph.public_key())
sh_ses = terminal_eph.exchange(ec.ECDH(), card_static.public_key())
keys = X963KDF(hashes.SHA256(), 80, b'\x3c\x88\x10').derive(sh_see + sh_ses)
receipt_key, s_enc, s_mac, s_rmac = keys[0:16], keys[16:32], keys[32:48], keys[48:64]
eph_tlv = tlv(0x5F49, pub(card_eph))
receipt = mac(receipt_key, request + eph_tlv)
answer = eph_tlv + tlv(0x86, receipt)

# command 1: 00 20 00 81 with data 31 32 33 34, answer 63 C2 without data
chain = receipt
enc = aes_cbc(s_enc, icv(s_enc, 1, False), pad(b'1234'))
cla = 0x04
chain = mac(s_mac, chain + bytes([cla, 0x20, 0x00, 0x81, len(enc) + 8]) + enc)
wrapped1 = bytes([cla, 0x20, 0x00, 0x81, len(enc) + 8]) + enc + chain[:8] + b'\x00'
rmac1 = mac(s_rmac, chain + b'\x63\xc2')[:8]
# command 2: 80 CA 00 00 without data, answer "hello" 90 00
cla = 0x84
chain = mac(s_mac, chain + bytes([cla, 0xCA, 0x00, 0x00, 8]))
wrapped2 = bytes([cla, 0xCA, 0x00, 0x00, 8]) + chain[:8] + b'\x00'
renc = aes_cbc(s_enc, icv(s_enc, 2, True), pad(b'hello'))
rmac2 = mac(s_rmac, chain + renc + b'\x90\x00')[:8]

print('x963', X963KDF(hashes.SHA256(), 40, b'info').derive(bytes(range(32))).hex())
for name, value in [('cardStaticPublic', pub(card_static)), ('request', request), ('answer', answer),
                    ('encryption', s_enc), ('mac', s_mac), ('responseMac', s_rmac),
                    ('command1', wrapped1), ('response1', rmac1 + b'\x63\xc2'),
                    ('command2', wrapped2), ('response2', renc + rmac2 + b'\x90\x00')]:
    print(name, value.hex())

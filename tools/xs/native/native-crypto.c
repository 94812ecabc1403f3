/*
 * The device's native cryptography, modelled in the device runner (tools/xs/device-runner.c):
 * on the ESP32 the Moddable SDK's `crypt` digests and P-256 ECDSA are C, not JavaScript, so the
 * bench charges them as C. The C here is libtorsion (the npm package bcrypto's deps/torsion,
 * MIT): SHA-1, SHA-256, SHA-512 (FIPS 180-4) and ECDSA over P-256 (SEC 1 §4.1; RFC 6979 nonces,
 * low S), built for the same target as the runner. The JavaScript faces are in this folder
 * (crypt.ts, hmac.ts, p256.ts), bundled by tools/bench/device.ts in place of @noble.
 *
 * Each call is counted: calls and, on RV32, the instructions it retired (instret), per function,
 * so a report can list the native work apart from the JavaScript (nativeCryptoReport()).
 *
 * Globals installed by nativeCryptoInstall():
 *   nativeDigest(type)                  type "SHA1" | "SHA256" | "SHA512": a digest handle
 *   nativeDigestWrite(handle, buffer)    buffer: ArrayBuffer
 *   nativeDigestClose(handle)            the digest as an ArrayBuffer (20, 32 or 64 bytes); the handle restarts
 *   nativeDigestReset(handle)
 *   nativeP256Verify(publicKey, digest, signature)   33-byte SEC 1 compressed key, 32-byte digest,
 *                                        64-byte r ‖ s: true when valid with s ≤ n/2
 *   nativeP256Sign(secretKey, digest)    64-byte r ‖ s (low S); throws RangeError on a bad key
 *   nativeP256PublicKey(secretKey)       33 bytes compressed; throws RangeError on a bad key
 *   nativeP256IsPublicKey(publicKey)     true for a point on the curve, not the identity
 *   nativeP256SharedSecret(secretKey, publicKey)  ECDH (SEC 1 §3.3.1): the 32-byte x of d·Q;
 *                                        throws RangeError on a bad key or point
 *   nativeAes(key)                       AES-128 (FIPS 197) key schedule for a 16-byte key: a handle;
 *                                        throws RangeError for another length
 *   nativeAesEncrypt(handle, block)      one 16-byte block enciphered, as a new ArrayBuffer
 *   nativeAesDecrypt(handle, block)      one 16-byte block deciphered
 *   nativeModMulinv(a, m)                BigInts: a^-1 mod m for an odd m > 1 and 0 < a < m, as the
 *                                        SDK's Modular.mulinv (xs_mod2_mulinv_general); garbage
 *                                        when gcd(a, m) != 1, as there (the caller checks)
 *
 * The inverse is not libtorsion: it models the SDK's own C (modules/crypt/arith/xsBigIntEx.c,
 * fxBigInt_mod_mulinv_general), which works on XS's BigInt words with XS's own primitives, so it is
 * written here the same way over the same primitives of the runner's XS: the binary extended
 * Euclidean algorithm for an odd modulus. Its scratch BigInts are chunks on the XS stack, as the
 * SDK's are, so they are charged to the heap too. (The SDK's Montgomery exponentiation, Mont.exp,
 * modelled the same way, cost 4.3 M RV32 instructions for s^1024 mod a 2,046-bit n against 1.9 M
 * for the JavaScript with Barrett reduction (firmware/crypto/bigint.ts), so ESIGN does not use it.)
 */
#include "xsAll.h"
#include "xs.h"
#include <torsion/ecc.h>
#include <torsion/hash.h>
#include <torsion/cipher.h>
#include "native-crypto.h"

#ifdef DEVICE_RUNNER_RV32
#include "rv32-runner.h"
#define NATIVE_INSTRUCTIONS() rv32Instret()
#else
#define NATIVE_INSTRUCTIONS() 0ULL
#endif

enum { N_DIGEST, N_P256_VERIFY, N_P256_SIGN, N_P256_PUBLIC_KEY, N_P256_IS_PUBLIC_KEY, N_P256_SHARED_SECRET, N_AES, N_MOD_MULINV, N_COUNT };
static const char* gxNativeNames[N_COUNT] = { "digest", "p256Verify", "p256Sign", "p256PublicKey", "p256IsPublicKey", "p256SharedSecret", "aes", "modMulinv" };
static unsigned long long gxNativeCalls[N_COUNT];
static unsigned long long gxNativeInstructions[N_COUNT];
static wei_curve_t* gxP256 = NULL;

typedef struct {
	int type;  /* 1 SHA-1, 256, 512 */
	union { sha1_t sha1; sha256_t sha256; sha512_t sha512; } context;
} txNativeDigest;

static void digestInit(txNativeDigest* digest)
{
	if (digest->type == 1) sha1_init(&digest->context.sha1);
	else if (digest->type == 256) sha256_init(&digest->context.sha256);
	else sha512_init(&digest->context.sha512);
}

static void freeHostData(void* data)
{
	if (data) c_free(data);
}

static txNativeDigest* digestOf(txMachine* the)
{
	txNativeDigest* digest = xsGetHostData(xsArg(0));
	if (!digest) xsTypeError("not a native digest");
	return digest;
}

static const unsigned char* bufferOf(txMachine* the, int index, size_t* length)
{
	if (!xsIsInstanceOf(xsArg(index), xsArrayBufferPrototype)) xsTypeError("argument %d: ArrayBuffer expected", index);
	*length = (size_t)xsGetArrayBufferLength(xsArg(index));
	return xsToArrayBuffer(xsArg(index));
}

static const unsigned char* bytesOf(txMachine* the, int index, size_t expected, const char* what)
{
	size_t length;
	const unsigned char* bytes = bufferOf(the, index, &length);
	if (length != expected) xsRangeError("%s must be %d bytes, not %d", what, (int)expected, (int)length);
	return bytes;
}

#define COUNTED(KIND, BODY) \
	do { \
		unsigned long long before = NATIVE_INSTRUCTIONS(); \
		gxNativeCalls[KIND]++; \
		BODY \
		gxNativeInstructions[KIND] += NATIVE_INSTRUCTIONS() - before; \
	} while (0)

static void xs_nativeDigest(txMachine* the)
{
	char* name = xsToString(xsArg(0));
	txNativeDigest* digest;
	int type = !c_strcmp(name, "SHA1") ? 1 : !c_strcmp(name, "SHA256") ? 256 : !c_strcmp(name, "SHA512") ? 512 : 0;
	if (!type) xsRangeError("native digest: SHA1, SHA256 or SHA512, not %s", name);
	digest = c_malloc(sizeof(txNativeDigest));
	if (!digest) xsUnknownError("native digest: out of memory");
	digest->type = type;
	COUNTED(N_DIGEST, digestInit(digest););
	xsResult = xsNewHostObject(freeHostData);
	xsSetHostData(xsResult, digest);
}

static void xs_nativeDigestWrite(txMachine* the)
{
	txNativeDigest* digest = digestOf(the);
	size_t length;
	const unsigned char* data = bufferOf(the, 1, &length);
	COUNTED(N_DIGEST,
		if (digest->type == 1) sha1_update(&digest->context.sha1, data, length);
		else if (digest->type == 256) sha256_update(&digest->context.sha256, data, length);
		else sha512_update(&digest->context.sha512, data, length);
	);
}

static void xs_nativeDigestClose(txMachine* the)
{
	txNativeDigest* digest = digestOf(the);
	unsigned char out[64];
	int size = digest->type == 1 ? 20 : digest->type == 256 ? 32 : 64;
	COUNTED(N_DIGEST,
		if (digest->type == 1) sha1_final(&digest->context.sha1, out);
		else if (digest->type == 256) sha256_final(&digest->context.sha256, out);
		else sha512_final(&digest->context.sha512, out);
		digestInit(digest);
	);
	xsResult = xsArrayBuffer(out, size);
}

static void xs_nativeDigestReset(txMachine* the)
{
	txNativeDigest* digest = digestOf(the);
	COUNTED(N_DIGEST, digestInit(digest););
}

static wei_curve_t* p256(void)
{
	return gxP256;
}

static void xs_nativeP256Verify(txMachine* the)
{
	const unsigned char* publicKey = bytesOf(the, 0, 33, "P-256 public key");
	const unsigned char* digest = bytesOf(the, 1, 32, "digest");
	const unsigned char* signature = bytesOf(the, 2, 64, "P-256 signature");
	int ok = 0;
	COUNTED(N_P256_VERIFY, ok = ecdsa_verify(p256(), digest, 32, signature, publicKey, 33););
	xsResult = xsBoolean(ok ? 1 : 0);
}

static void xs_nativeP256Sign(txMachine* the)
{
	const unsigned char* secretKey = bytesOf(the, 0, 32, "P-256 secret key");
	const unsigned char* digest = bytesOf(the, 1, 32, "digest");
	unsigned char signature[64];
	unsigned int param;
	int ok = 0;
	COUNTED(N_P256_SIGN, ok = ecdsa_sign(p256(), signature, &param, digest, 32, secretKey););
	if (!ok) xsRangeError("P-256 secret key must be 0 < d < n");
	xsResult = xsArrayBuffer(signature, 64);
}

static void xs_nativeP256PublicKey(txMachine* the)
{
	const unsigned char* secretKey = bytesOf(the, 0, 32, "P-256 secret key");
	unsigned char publicKey[33];
	size_t length = 33;
	int ok = 0;
	COUNTED(N_P256_PUBLIC_KEY, ok = ecdsa_pubkey_create(p256(), publicKey, &length, secretKey, 1););
	if (!ok) xsRangeError("P-256 secret key must be 0 < d < n");
	xsResult = xsArrayBuffer(publicKey, (xsIntegerValue)length);
}

static void xs_nativeP256IsPublicKey(txMachine* the)
{
	size_t length;
	const unsigned char* publicKey = bufferOf(the, 0, &length);
	int ok = 0;
	COUNTED(N_P256_IS_PUBLIC_KEY, ok = ecdsa_pubkey_verify(p256(), publicKey, length););
	xsResult = xsBoolean(ok ? 1 : 0);
}

static void xs_nativeP256SharedSecret(txMachine* the)
{
	const unsigned char* secretKey = bytesOf(the, 0, 32, "P-256 secret key");
	size_t publicLength;
	const unsigned char* publicKey = bufferOf(the, 1, &publicLength);
	unsigned char point[33];
	size_t length = 33;
	int ok = 0;
	COUNTED(N_P256_SHARED_SECRET, ok = ecdsa_derive(p256(), point, &length, publicKey, publicLength, secretKey, 1););
	if (!ok) xsRangeError("P-256 ECDH: the secret key must be 0 < d < n and the public key a point on the curve");
	xsResult = xsArrayBuffer(point + 1, 32);
}

static void xs_nativeAes(txMachine* the)
{
	const unsigned char* key = bytesOf(the, 0, 16, "AES-128 key");
	aes_t* aes = c_malloc(sizeof(aes_t));
	if (!aes) xsUnknownError("native AES: out of memory");
	COUNTED(N_AES, aes_init(aes, 128, key););
	xsResult = xsNewHostObject(freeHostData);
	xsSetHostData(xsResult, aes);
}

/* One block through the handle's schedule; the SDK's BlockCipher keeps its schedule the same way. */
static void aesBlock(txMachine* the, int decrypt)
{
	aes_t* aes = xsGetHostData(xsArg(0));
	const unsigned char* block = bytesOf(the, 1, 16, "AES block");
	unsigned char out[16];
	if (!aes) xsTypeError("not a native AES key");
	COUNTED(N_AES, if (decrypt) aes_decrypt(aes, out, block); else aes_encrypt(aes, out, block););
	xsResult = xsArrayBuffer(out, 16);
}

static void xs_nativeAesEncrypt(txMachine* the)
{
	aesBlock(the, 0);
}

static void xs_nativeAesDecrypt(txMachine* the)
{
	aesBlock(the, 1);
}

/* The SDK's modular inverse (modules/crypt/arith), modelled over the runner's XS BigInt. */

/* A scratch BigInt of `size` words on the XS stack (a chunk, as the SDK's pool_get). */
static txBigInt* scratch(txMachine* the, txU4 size)
{
	return fxBigInt_alloc(the, size);
}

/* Leading zero words dropped: XS compares BigInts by their sizes first. */
static void trim(txBigInt* r)
{
	while (r->size > 1 && r->data[r->size - 1] == 0) r->size--;
}

/* a^-1 mod m for odd m by the binary extended Euclidean algorithm (fxBigInt_mod_mulinv_general's odd case). */
static void modMulinv(txMachine* the, txSlot* result, txSlot* aSlot, txSlot* modulusSlot)
{
	txBigInt *a = fxToBigInt(the, aSlot, 1), *m = fxToBigInt(the, modulusSlot, 1);
	txBigInt *u, *v, *B, *D;
	txU4 size;
	if (m->sign || !(m->data[0] & 1) || (m->size == 1 && m->data[0] == 1)) xsRangeError("mulinv: the modulus must be odd and > 1");
	if (a->sign || fxBigInt_iszero(a) || fxBigInt_ucomp(a, m) >= 0) xsRangeError("mulinv: 0 < a < m");
	size = (a->size > m->size ? a->size : m->size) + 1;
	u = scratch(the, size);
	v = scratch(the, size);
	B = scratch(the, m->size + 1);
	D = scratch(the, m->size + 1);
	fxBigInt_copy(u, m);
	fxBigInt_copy(v, a);
	B->size = 1; B->data[0] = 0;
	D->size = 1; D->data[0] = 1;
	for (;;) {
		while (!(u->data[0] & 1)) {
			fxBigInt_ulsr1(the, u, u, 1);
			if (B->data[0] & 1) fxBigInt_sub(the, B, B, m);
			fxBigInt_ulsr1(the, B, B, 1);
		}
		while (!(v->data[0] & 1)) {
			fxBigInt_ulsr1(the, v, v, 1);
			if (D->data[0] & 1) fxBigInt_sub(the, D, D, m);
			fxBigInt_ulsr1(the, D, D, 1);
		}
		if (fxBigInt_ucomp(u, v) >= 0) {
			fxBigInt_sub(the, u, u, v);
			fxBigInt_sub(the, B, B, D);
		}
		else {
			fxBigInt_sub(the, v, v, u);
			fxBigInt_sub(the, D, D, B);
		}
		if (fxBigInt_iszero(u)) break;
	}
	while (D->sign) fxBigInt_add(the, D, D, m);
	while (fxBigInt_ucomp(D, m) >= 0) fxBigInt_sub(the, D, D, m);
	trim(D);
	result->value.bigint = *D;
	result->kind = XS_BIGINT_KIND;
}

static void xs_nativeModMulinv(txMachine* the)
{
	COUNTED(N_MOD_MULINV, modMulinv(the, &xsResult, &xsArg(0), &xsArg(1)););
}

void nativeCryptoInstall(txMachine* the)
{
	static const struct { const char* name; xsCallback callback; int length; } functions[] = {
		{ "nativeDigest", xs_nativeDigest, 1 },
		{ "nativeDigestWrite", xs_nativeDigestWrite, 2 },
		{ "nativeDigestClose", xs_nativeDigestClose, 1 },
		{ "nativeDigestReset", xs_nativeDigestReset, 1 },
		{ "nativeP256Verify", xs_nativeP256Verify, 3 },
		{ "nativeP256Sign", xs_nativeP256Sign, 2 },
		{ "nativeP256PublicKey", xs_nativeP256PublicKey, 1 },
		{ "nativeP256IsPublicKey", xs_nativeP256IsPublicKey, 1 },
		{ "nativeP256SharedSecret", xs_nativeP256SharedSecret, 2 },
		{ "nativeAes", xs_nativeAes, 1 },
		{ "nativeAesEncrypt", xs_nativeAesEncrypt, 2 },
		{ "nativeAesDecrypt", xs_nativeAesDecrypt, 2 },
		{ "nativeModMulinv", xs_nativeModMulinv, 2 },
	};
	size_t i;
	/* The curve and its tables of multiples of G: constant data in the device's flash, so made
	   here, in the uncharged load phase (77 M instructions on RV32: more than a verification). */
	if (!gxP256) gxP256 = wei_curve_create(WEI_CURVE_P256);
	for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		xsResult = xsNewHostFunction(functions[i].callback, functions[i].length);
		xsDefine(xsGlobal, xsID((txString)functions[i].name), xsResult, xsDontEnum);
	}
}

void nativeCryptoReset(void)
{
	c_memset(gxNativeCalls, 0, sizeof(gxNativeCalls));
	c_memset(gxNativeInstructions, 0, sizeof(gxNativeInstructions));
}

int nativeCryptoReport(char* buffer, int size)
{
	int length = 0, i, first = 1;
	length += snprintf(buffer + length, size - length, "{");
	for (i = 0; i < N_COUNT; i++) {
		if (!gxNativeCalls[i]) continue;
		length += snprintf(buffer + length, size - length, "%s\"%s\":{\"calls\":%llu,\"instructions\":%llu}",
			first ? "" : ",", gxNativeNames[i], gxNativeCalls[i], gxNativeInstructions[i]);
		first = 0;
	}
	length += snprintf(buffer + length, size - length, "}");
	return length;
}

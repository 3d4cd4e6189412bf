import type { SecureVersion } from 'node:tls';

// The names exporter-toolkit's web config takes (Go's crypto/tls) and what they are in Node/OpenSSL.

/** `min_version` / `max_version`. */
export const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/**
 * `cipher_suites`: the names of Go's tls.CipherSuites() (the secure ones; exporter-toolkit accepts no
 * others), mapped to OpenSSL's. The TLS 1.3 suites map to undefined: like Go, they are accepted and
 * not configurable (OpenSSL keeps its TLS 1.3 defaults).
 */
export const CIPHER_SUITES: Readonly<Record<string, string | undefined>> = {
  TLS_AES_128_GCM_SHA256: undefined,
  TLS_AES_256_GCM_SHA384: undefined,
  TLS_CHACHA20_POLY1305_SHA256: undefined,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};

/**
 * The OpenSSL names of CIPHER_SUITES in Go's server preference order (crypto/tls
 * cipherSuitesPreferenceOrder, for hosts with AES hardware): since Go 1.17 the server picks by this
 * order whatever the order of `cipher_suites` or the client's, and `prefer_server_cipher_suites`
 * is ignored. Go moves ChaCha20-Poly1305 first when the client prefers it, which OpenSSL's
 * SSL_OP_PRIORITIZE_CHACHA does too.
 */
export const GO_CIPHER_PREFERENCE: readonly string[] = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
];

/** `curve_preferences`: OpenSSL's names for Node's `ecdhCurve`. */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/** `client_auth_type`; `RequireClientCert` is exporter-toolkit's old name of RequireAnyClientCert. */
export const CLIENT_AUTH_TYPES = {
  NoClientCert: 'NoClientCert',
  RequestClientCert: 'RequestClientCert',
  RequireAnyClientCert: 'RequireAnyClientCert',
  RequireClientCert: 'RequireAnyClientCert',
  VerifyClientCertIfGiven: 'VerifyClientCertIfGiven',
  RequireAndVerifyClientCert: 'RequireAndVerifyClientCert',
} as const;

export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[keyof typeof CLIENT_AUTH_TYPES];

/** `http_server_config.headers`: the only headers exporter-toolkit lets a web config set, with their allowed values. */
export const EXTRA_HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

"""A throwaway CA and server certificate for the HTTPS listener.

Clients verify against ca.pem exactly as they would against a real CA,
so TLS verification paths get exercised rather than switched off.  EC
P-256 keys: generated in milliseconds, unlike RSA.  Extensions are what
strict verifiers (OpenSSL X509_STRICT, Python 3.13's default) demand: CA
basicConstraints + keyCertSign, SKI/AKI, SANs, serverAuth EKU.
"""
import datetime
import ipaddress
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                         "Cognito Emulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(**on):
    flags = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment",
         "data_encipherment", "key_agreement", "key_cert_sign",
         "crl_sign", "encipher_only", "decipher_only"), False)
    flags.update(on)
    return x509.KeyUsage(**flags)


def make_tls_files(tls_dir):
    """Write ca.pem, server.pem, server.key into tls_dir; return paths."""
    os.makedirs(tls_dir, exist_ok=True)
    now = datetime.datetime.utcnow()
    start, ca_end = now - datetime.timedelta(days=1), \
        now + datetime.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Cognito Emulator Test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(ca_end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
          .add_extension(_usage(digital_signature=True, key_cert_sign=True,
                                crl_sign=True), True)
          .add_extension(ca_ski, False)
          .sign(ca_key, hashes.SHA256()))

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(_name("localhost")).issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           True)
            .add_extension(_usage(digital_signature=True), True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier
                           .from_issuer_subject_key_identifier(ca_ski), False)
            .sign(ca_key, hashes.SHA256()))

    paths = {n: os.path.join(tls_dir, n)
             for n in ("ca.pem", "server.pem", "server.key")}
    pem = serialization.Encoding.PEM
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(paths["server.pem"], "wb") as f:
        f.write(cert.public_bytes(pem))
    fd = os.open(paths["server.key"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


def server_context(tls_dir):
    paths = make_tls_files(tls_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(paths["server.pem"], paths["server.key"])
    return ctx

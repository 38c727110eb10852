using System;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PiCluster.Workers;

/// <summary>
/// kubeadm's discovery CA pin, <c>sha256:&lt;hex&gt;</c>: the SHA-256 of the CA certificate's DER SubjectPublicKeyInfo
/// (what <c>--discovery-token-ca-cert-hash</c> and JoinConfiguration's <c>caCertHashes</c> hold). Computed from the
/// whole SubjectPublicKeyInfo, so it holds for RSA and ECDSA CAs alike.
/// </summary>
public static class CaPin
{
    /// <summary>The pin of a certificate given as PEM text or DER bytes.</summary>
    /// <exception cref="ArgumentException">The bytes hold no certificate.</exception>
    public static string Of(byte[] certificate)
    {
        if (certificate is null) throw new ArgumentNullException(nameof(certificate));
        try
        {
            var text = Encoding.ASCII.GetString(certificate);
            using var cert = text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : new X509Certificate2(certificate);
            return "sha256:" + Convert.ToHexString(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo())).ToLowerInvariant();
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"not a readable X.509 certificate: {e.Message}", nameof(certificate), e);
        }
    }
}

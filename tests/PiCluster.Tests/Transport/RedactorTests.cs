using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

public class RedactorTests
{
    private const string CertKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("kubeadm join x:6443 --token abcdef.0123456789abcdef --x", "kubeadm join x:6443 --token ******** --x")]
    [InlineData("--certificate-key " + CertKey, "--certificate-key ********")]
    [InlineData("--discovery-token-ca-cert-hash sha256:" + CertKey, "--discovery-token-ca-cert-hash sha256:" + CertKey)]
    [InlineData("no secrets here: abcdef.0123", "no secrets here: abcdef.0123")]
    public void MasksJoinTokensAndCertificateKeysButNotCaHashes(string text, string expected) =>
        Assert.Equal(expected, new Redactor().Redact(text));

    [Fact]
    public void MasksRegisteredSecretsLongestFirst()
    {
        var r = new Redactor(new[] { "hunter2hunter2" });
        r.Add("hunter2");
        r.Add("pi"); // too short to mask without garbling text
        Assert.Equal("pw ******** and ******** on pi", r.Redact("pw hunter2hunter2 and hunter2 on pi"));
    }
}

using System;
using System.Linq;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

public class RedactorTests
{
    private const string CertKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string M = Redactor.Mask;

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
        Assert.Equal($"pw {M} and {M} on pi", r.Redact("pw hunter2hunter2 and hunter2 on pi"));
    }

    /// <summary>Secrets of every length from 1 to 64, each standing alone and inside other words.</summary>
    public static TheoryData<int> Lengths() => new(Enumerable.Range(1, 64));

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MasksASecretOfAnyLengthAsAWholeTokenAndLongOnesInsideWordsToo(int length)
    {
        var secret = Secret(length);
        var r = new Redactor(new[] { secret });
        var text = $"sudo said '{secret}', then [{secret}] x{secret}y {secret}\n{secret}=1 done";

        var redacted = r.Redact(text);

        // Standing alone, between punctuation, at the start and end of a line: always masked.
        Assert.StartsWith($"sudo said '{M}', then [{M}] ", redacted);
        Assert.EndsWith($" {M}\n{M}=1 done", redacted);
        // Inside a word: masked from AnywhereFrom characters on; a shorter one is left alone with its word.
        Assert.Contains(length >= Redactor.AnywhereFrom ? $"x{M}y" : $"x{secret}y", redacted);
        if (length >= Redactor.AnywhereFrom) Assert.DoesNotContain(secret, redacted);
        // Redacting again changes nothing (a mask is never masked again).
        Assert.Equal(redacted, r.Redact(redacted));
    }

    [Theory]
    [InlineData("e", "node01: cannot reach the node", "node01: cannot reach the node")]
    [InlineData("e", "sudo: e: wrong", "sudo: ********: wrong")]
    [InlineData("1", "port 1 of 127.0.0.1", "port ******** of 127.0.0.********")]
    [InlineData("pi", "pi@node01 pipeline", "********@node01 pipeline")]
    [InlineData("*", "a * b and ******** stay", "a ******** b and ******** stay")]
    [InlineData("a.b", "a.b or a.bc or xa.b", "******** or a.bc or xa.b")]
    [InlineData("(?:x)", "regex (?:x) is literal; x is not", "regex ******** is literal; x is not")]
    [InlineData("Hunter", "hunter Hunter", "hunter ********")]
    public void ShortSecretsAreMaskedOnlyAsWholeTokens(string secret, string text, string expected) =>
        Assert.Equal(expected, new Redactor(new[] { secret }).Redact(text));

    [Fact]
    public void LongSecretsAreMaskedInsideWordsAndWithNonAsciiCharacters()
    {
        var r = new Redactor(new[] { "päss wörd 8" });
        Assert.Equal($"x{M}y", r.Redact("xpäss wörd 8y"));
    }

    [Fact]
    public void NullAndEmptyAreIgnored()
    {
        var r = new Redactor(new[] { null, "" });
        r.Add(null);
        r.Add("");
        Assert.Equal("text", r.Redact("text"));
        Assert.Equal("", r.Redact(null));
    }

    [Fact]
    public void RedactKnownMasksOnlyRegisteredSecrets()
    {
        var r = new Redactor(new[] { "s3cr3t-pw" });
        var text = $"{CertKey}  file\nabcdef.0123456789abcdef s3cr3t-pw";
        Assert.Equal($"{CertKey}  file\nabcdef.0123456789abcdef {M}", r.RedactKnown(text));
        Assert.Equal($"{M}  file\n{M} {M}", r.Redact(text));
    }

    // Letters, digits and punctuation, deterministic per length; never '*' (the mask's character).
    internal static string Secret(int length)
    {
        const string chars = "qZ7x!k#Lm2$Pw(9)v_R-t;N=";
        var random = new Random(length);
        return new string(Enumerable.Range(0, length).Select(_ => chars[random.Next(chars.Length)]).ToArray());
    }
}

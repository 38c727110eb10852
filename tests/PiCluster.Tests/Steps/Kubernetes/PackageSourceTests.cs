using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Steps.Kubernetes;

/// <summary>Issue 10, package sources: URLs that cannot reach the sources line raw, keys that cannot travel unpinned over http, key files that are public keys.</summary>
public class PackageSourceTests
{
    private const string Fingerprint = "1F755760B2F4D1341E3A50BDABB40F65679D7C05";
    private static readonly KubernetesVersion V134 = KubernetesVersion.Parse("1.34");
    private static string Keys(string name) => Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "keys", name);

    [Theory]
    [InlineData("https://mirror.example/deb/ /\ndeb [trusted=yes] http://evil.example/ /", "a line break")]
    [InlineData("https://mirror.example/deb/\r", "a carriage return")]
    [InlineData("https://mirror.example/d eb/", "a space")]
    [InlineData("https://mirror.example/deb/\t", "a tab")]
    [InlineData("[trusted=yes] https://mirror.example/deb/", "'['")]
    [InlineData("https://mirror.example/'$(reboot)'/", "'''")]
    [InlineData("https://mirror.example/\"x\"/", "'\"'")]
    [InlineData("https://mirror.example/`id`/", "'`'")]
    [InlineData("https://mirror.example/$(ARCH)/", "'('")]
    [InlineData("https://mirror.example/deb/#comment", "'#'")]
    [InlineData("https://mirror.example/\u0000/", "the character U+0000")]
    public void HostileRepositoryUrls_AreRefused_NamingTheCharacter(string url, string character)
    {
        var problem = PackageSource.CheckUrl(url, "-PackageRepository", out var uri);
        Assert.Null(uri);
        Assert.NotNull(problem);
        Assert.StartsWith("-PackageRepository '", problem);
        Assert.Contains($"contains {character}", problem);
        Assert.DoesNotContain('\n', problem!);
        var e = Assert.Throws<ArgumentException>(() => AptRepository.Kubernetes(V134, url, urlWhat: "-PackageRepository"));
        Assert.Equal("-PackageRepository", e.ParamName);
    }

    [Theory]
    [InlineData("pkgs.k8s.io/core/", "not an absolute http(s) URL")]
    [InlineData("ftp://mirror.example/deb/", "not an absolute http(s) URL")]
    [InlineData("file:///srv/mirror/", "not an absolute http(s) URL")]
    [InlineData("https://user:secret@mirror.example/deb/", "user name or password")]
    [InlineData("https://user@mirror.example/deb/", "user name or password")]
    [InlineData("https://mirror.example/deb/?x=1", "query")]
    public void RepositoryUrlsThatAreNotPlainHttp_AreRefused(string url, string why)
    {
        var problem = PackageSource.CheckUrl(url, "packageRepository", out _);
        Assert.Contains(why, problem);
        Assert.DoesNotContain("secret", problem);
    }

    [Fact]
    public void TheSourcesLine_IsBuiltFromTheParsedUri()
    {
        var repository = AptRepository.Kubernetes(V134, "HTTPS://Mirror.Example:443/k8s/v1.34/deb", Keys("release.asc"));
        Assert.Equal("https://mirror.example/k8s/v1.34/deb/", repository.Url);
        Assert.Equal("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://mirror.example/k8s/v1.34/deb/ /", repository.SourcesLine);
        Assert.Single(AptRepositoryPlan.SourcesFile(repository).TrimEnd('\n').Split('\n'), l => !l.StartsWith("#", StringComparison.Ordinal));
    }

    [Fact]
    public void AKeyPathWithALineBreak_CannotAddALineToTheSourcesFile()
    {
        var e = Assert.Throws<ArgumentException>(() => AptRepository.Kubernetes(V134, null, "/tmp/k.asc\ndeb [trusted=yes] http://evil/ /", keyWhat: "-RepositoryKey"));
        Assert.Equal("-RepositoryKey", e.ParamName);
        Assert.Contains("control character", e.Message);
    }

    [Fact]
    public void KeysOverPlainHttp_NeedAPinnedFingerprint()
    {
        // An http mirror without a key: its Release.key would come over http.
        var noKey = Assert.Throws<ArgumentException>(() => AptRepository.Kubernetes(V134, "http://mirror.example/deb/", urlWhat: "-PackageRepository", keyWhat: "-RepositoryKey", fingerprintWhat: "-RepositoryKeyFingerprint"));
        Assert.Equal("-RepositoryKey", noKey.ParamName);
        Assert.Contains("plain http", noKey.Message);
        Assert.Contains("-RepositoryKeyFingerprint", noKey.Message);
        // An http key URL, even for an https mirror.
        Assert.Throws<ArgumentException>(() => AptRepository.Kubernetes(V134, "https://mirror.example/deb/", "http://mirror.example/deb/Release.key"));

        // Allowed: an https key, a local key file, or an http key pinned by fingerprint.
        Assert.Equal("https://mirror.example/deb/Release.key", AptRepository.Kubernetes(V134, "http://mirror.example/deb/", "https://mirror.example/deb/Release.key").Key);
        Assert.False(AptRepository.Kubernetes(V134, "http://mirror.example/deb/", Keys("release.asc")).KeyIsUrl);
        var pinned = AptRepository.Kubernetes(V134, "http://mirror.example/deb/", keyFingerprint: "1f75 5760 b2f4 d134 1e3a 50bd abb4 0f65 679d 7c05");
        Assert.Equal(Fingerprint, pinned.KeyFingerprint);
        Assert.Equal("http://mirror.example/deb/Release.key", pinned.Key);
    }

    [Theory]
    [InlineData("$(reboot)")]
    [InlineData("1F755760B2F4D1341E3A50BDABB40F65679D7C0")]
    [InlineData("1F755760B2F4D1341E3A50BDABB40F65679D7C0Z")]
    [InlineData("1F755760B2F4D1341E3A50BDABB40F65679D7C05\n")]
    public void MalformedFingerprints_AreRefused(string fingerprint)
    {
        Assert.NotNull(PackageSource.CheckFingerprint(fingerprint, "-RepositoryKeyFingerprint"));
        var e = Assert.Throws<ArgumentException>(() => AptRepository.Kubernetes(V134, keyFingerprint: fingerprint, fingerprintWhat: "-RepositoryKeyFingerprint"));
        Assert.Equal("-RepositoryKeyFingerprint", e.ParamName);
    }

    [Fact]
    public void PublicKeyFiles_Armoured_Or_Binary_AreAccepted_AndTheirFingerprintIsGpgs()
    {
        var binary = File.ReadAllBytes(Keys("release.gpg"));
        Assert.Equal(binary, PackageSource.ReadKeyFile(Keys("release.asc"), "key", Fingerprint));
        Assert.Equal(binary, PackageSource.ReadKeyFile(Keys("release.gpg"), "key", Fingerprint.ToLowerInvariant()));
        var wrong = Assert.Throws<FormatException>(() => PackageSource.ReadKeyFile(Keys("release.asc"), "key", new string('A', 40)));
        Assert.Contains($"has the key fingerprint {Fingerprint}, not the pinned {new string('A', 40)}", wrong.Message);
    }

    [Theory]
    [InlineData("secret.asc", "private key (OpenPGP)")]
    [InlineData("secret.gpg", "secret key packet")]
    [InlineData("ssh-private-key", "private key (SSH)")]
    public void PrivateKeys_AreRefused_AndNeverCopied(string file, string why)
    {
        var e = Assert.Throws<FormatException>(() => PackageSource.ReadKeyFile(Keys(file), $"-RepositoryKey '{file}'"));
        Assert.StartsWith($"-RepositoryKey '{file}'", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void AnythingElse_TooLarge_Or_Truncated_IsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("picluster-keys-").FullName;
        try
        {
            var text = Path.Combine(dir, "cluster.yaml");
            File.WriteAllText(text, "name: homelab\n");
            Assert.Contains("is not an OpenPGP public key", Assert.Throws<FormatException>(() => PackageSource.ReadKeyFile(text, "key")).Message);

            var big = Path.Combine(dir, "big.asc");
            File.WriteAllText(big, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n" + new string('A', PackageSource.MaxKeyBytes) + "\n-----END PGP PUBLIC KEY BLOCK-----\n");
            Assert.Contains("at most 64 KiB", Assert.Throws<FormatException>(() => PackageSource.ReadKeyFile(big, "key")).Message);

            var truncated = Path.Combine(dir, "truncated.gpg");
            File.WriteAllBytes(truncated, File.ReadAllBytes(Keys("release.gpg")).Take(40).ToArray());
            Assert.Contains("ends in the middle of an OpenPGP packet", Assert.Throws<FormatException>(() => PackageSource.ReadKeyFile(truncated, "key")).Message);

            // A public block with a private block after it is still a private key file.
            var both = Path.Combine(dir, "both.asc");
            File.WriteAllText(both, File.ReadAllText(Keys("release.asc")) + File.ReadAllText(Keys("secret.asc")));
            Assert.Contains("private key", Assert.Throws<FormatException>(() => PackageSource.ReadKeyFile(both, "key")).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TheStep_ReportsAParameterProblem_BeforeAnyConnection_NamingTheParameter()
    {
        var node = new PiNode("n", "127.0.0.1", cluster: new ClusterDefinition());
        Assert.Null(new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34" }).CheckPackageSource(node));

        var url = new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34", PackageRepository = "https://m.example/ /\ndeb http://evil/ /" }).CheckPackageSource(node);
        Assert.Equal("-PackageRepository", url!.Value.Field);

        var secret = new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34", RepositoryKey = Keys("ssh-private-key") }).CheckPackageSource(node);
        Assert.Equal("-RepositoryKey", secret!.Value.Field);
        Assert.Contains("private key (SSH)", secret.Value.Message);

        var http = new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34", PackageRepository = "http://m.example/deb/" }).CheckPackageSource(node);
        Assert.Equal("-RepositoryKey", http!.Value.Field);
    }

    [Fact]
    public void TheKeyFetch_IsHttpsOnly_UnlessPinned_AndTheUrlTravelsAsData()
    {
        var script = RemoteScripts.Compose("k8s-repo");
        Assert.Contains("key_proto='=https'", script);
        Assert.Contains("--proto \"$key_proto\" --proto-redir \"$key_proto\"", script);
        Assert.Contains("--max-filesize", script);
        Assert.DoesNotContain("'=https,http' -o", script);
    }

    [Fact]
    public void TheNodeSideKeyCheck_AcceptsThePinnedPublicKey_AndRefusesAnotherFingerprintOrASecretKey()
    {
        if (!File.Exists("/usr/bin/gpg")) return; // the nodes have gpg (a prerequisite); this machine may not
        var lib = Path.Combine(Path.GetTempPath(), $"picluster-apt-lib-{Guid.NewGuid():N}.sh");
        File.WriteAllText(lib, RemoteScripts.Compose("k8s-apt-lib"));
        try
        {
            int Check(string key, string fingerprint)
            {
                var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "-c", ". \"$1\"; picluster_check_key \"$2\" \"$3\"", "check", lib, key, fingerprint }) start.ArgumentList.Add(a);
                using var process = Process.Start(start)!;
                process.StandardOutput.ReadToEnd();
                process.StandardError.ReadToEnd();
                process.WaitForExit();
                return process.ExitCode;
            }
            Assert.Equal(0, Check(Keys("release.asc"), ""));
            Assert.Equal(0, Check(Keys("release.asc"), Fingerprint));
            Assert.Equal(0, Check(Keys("release.gpg"), Fingerprint));
            Assert.Equal(1, Check(Keys("release.asc"), new string('A', 40)));
            Assert.Equal(1, Check(Keys("secret.asc"), ""));
            Assert.Equal(1, Check(Keys("ssh-private-key"), ""));
        }
        finally { File.Delete(lib); }
    }
}

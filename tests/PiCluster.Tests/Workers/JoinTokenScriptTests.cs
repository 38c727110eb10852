using System;
using System.Diagnostics;
using System.IO;
using PiCluster.ControlPlane;
using PiCluster.Transport;
using PiCluster.Workers;
using Xunit;

namespace PiCluster.Tests.Workers;

/// <summary>
/// Runs the leader's token scripts (Scripts/join-token-*.sh) with the local bash and a stand-in kubeadm that prints
/// `kubeadm token list` as the real one does (whole tokens in the first column): only PiCluster's tokens are found and
/// deleted, by their public id, and no secret reaches stdout or any command line.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JoinTokenScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-kubeadm-").FullName;
    private string State => Path.Combine(_dir, "tokens");
    private string Argv => Path.Combine(_dir, "argv");

    public JoinTokenScriptTests()
    {
        var fake = Path.Combine(_dir, "kubeadm");
        File.WriteAllText(fake, """
            #!/bin/bash
            echo "$*" >>"$FAKE_ARGV"
            case "$1 $2" in
              "token list")
                [ -s "$FAKE_STATE" ] && echo "TOKEN                     TTL   EXPIRES                USAGES                   DESCRIPTION   EXTRA GROUPS"
                while IFS='|' read -r id secret desc; do
                  printf '%s.%s   14m   2026-12-02T04:00:00Z   authentication,signing   %s   system:bootstrappers:kubeadm:default-node-token\n' "$id" "$secret" "$desc"
                done <"$FAKE_STATE" ;;
              "token delete")
                grep -v "^$3|" "$FAKE_STATE" >"$FAKE_STATE.new"; mv "$FAKE_STATE.new" "$FAKE_STATE"; echo "bootstrap token \"$3\" deleted" ;;
              "token create")
                echo "new001|newsecret0000001|$6" >>"$FAKE_STATE"
                echo "kubeadm join 10.0.0.1:6443 --token new001.newsecret0000001 --discovery-token-ca-cert-hash sha256:0000000000000000000000000000000000000000000000000000000000000000 " ;;
            esac

            """.Replace("\r", ""));
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(State, $"old001|oldsecret0000001|{BootstrapTokens.Description}\nusr001|usersecret000001|made by hand\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Exit, string Stdout) Run(string script, bool create)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = _dir + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["FAKE_STATE"] = State;
        start.Environment["FAKE_ARGV"] = Argv;
        using var process = Process.Start(start)!;
        process.StandardInput.Write(RemoteScripts.Compose(script, new System.Collections.Generic.Dictionary<string, string>
        {
            ["PICLUSTER_DESCRIPTION"] = BootstrapTokens.Description,
            ["PICLUSTER_TTL"] = "15m",
            ["PICLUSTER_CREATE"] = create ? "yes" : "no",
        }));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result);
    }

    [Fact]
    public void CreateDeletesOnlyTheTokensAnEarlierRunLeftThenMakesOneWithTheTtlAndDescription()
    {
        var (exit, stdout) = Run("join-token-create", create: true);

        Assert.Equal(0, exit);
        Assert.StartsWith("@@ deleted\ndeleted old001\n@@ join\nkubeadm join 10.0.0.1:6443 --token new001.newsecret0000001 ", stdout, StringComparison.Ordinal);
        Assert.Equal($"usr001|usersecret000001|made by hand\nnew001|newsecret0000001|{BootstrapTokens.Description}\n", File.ReadAllText(State));
        var argv = File.ReadAllText(Argv);
        Assert.Contains($"token create --ttl 15m --description {BootstrapTokens.Description} --print-join-command", argv, StringComparison.Ordinal);
        Assert.Contains("token delete old001\n", argv, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", argv, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutCreateOnlyTheLeftoversGo()
    {
        var (exit, stdout) = Run("join-token-create", create: false);

        Assert.Equal((0, "@@ deleted\ndeleted old001\n"), (exit, stdout));
        Assert.DoesNotContain("old001", File.ReadAllText(State), StringComparison.Ordinal);
    }

    [Fact]
    public void TheIdsOfPiClustersTokensAreListedWithoutTheirSecrets()
    {
        var start = new ProcessStartInfo("bash", new[] { "-c", RemoteScripts.Compose("bootstrap-token-lib") + "\nPICLUSTER_DESCRIPTION='" + BootstrapTokens.Description + "'\npicluster_token_ids" })
            { RedirectStandardOutput = true };
        start.Environment["PATH"] = _dir + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["FAKE_STATE"] = State;
        start.Environment["FAKE_ARGV"] = Argv;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal("old001\n", stdout);
    }

    [Fact]
    public void NoTokenOfPiClustersIsNoFailureUnderPipefail()
    {
        // The leader's facts run under prep-lib's `set -euo pipefail`: a filter that matched nothing once failed them (lab).
        File.WriteAllText(State, "usr001|usersecret000001|made by hand\n");
        var script = "set -euo pipefail\n" + RemoteScripts.Compose("bootstrap-token-lib") + "\nPICLUSTER_DESCRIPTION='" + BootstrapTokens.Description + "'\n"
            + "ids=$(picluster_token_ids)\necho \"ids=[$ids]\"\n";
        var start = new ProcessStartInfo("bash", new[] { "-c", script }) { RedirectStandardOutput = true };
        start.Environment["PATH"] = _dir + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["FAKE_STATE"] = State;
        start.Environment["FAKE_ARGV"] = Argv;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal((0, "ids=[]\n"), (process.ExitCode, stdout));
    }
}

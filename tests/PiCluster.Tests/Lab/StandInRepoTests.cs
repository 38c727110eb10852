using System;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace PiCluster.Tests.Lab;

/// <summary>The lab's signed stand-in repository as a node's apt sees it through signed-by.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class StandInRepoTests(LabFixture lab, ITestOutputHelper output)
{
    private string Base(string tree) =>
        $"http://10.0.2.2:{lab.RepoPort ?? throw new InvalidOperationException("the lab serves no package repository")}/{tree}";

    private Task<(int Exit, string Out, string Err)> UseRepoAsync(string node, string tree) => lab.SshAsync(node,
        "sudo install -d -m 0755 /etc/apt/keyrings && " +
        $"curl -fsS {Base("core:/stable:/v1.34/deb/")}Release.key | sudo gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg && " +
        $"echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] {Base(tree)} /' | sudo tee /etc/apt/sources.list.d/kubernetes.list >/dev/null && " +
        "sudo apt-get update -o Acquire::Languages=none 2>&1");

    [Fact]
    public async Task The_good_repository_verifies_and_one_signed_with_another_key_is_refused()
    {
        await lab.ResetAsync("node3");
        var good = await UseRepoAsync("node3", "core:/stable:/v1.34/deb/");
        Assert.True(good.Exit == 0, good.Out + good.Err);
        var madison = await lab.SshAsync("node3", "apt-cache madison kubeadm");
        Assert.Contains("1.34.2-1.1", madison.Out);
        Assert.Contains("1.34.0-1.1", madison.Out);

        await lab.ResetAsync("node3");
        var bad = await UseRepoAsync("node3", "badkey/core:/stable:/v1.34/deb/");
        output.WriteLine(bad.Out);
        Assert.Contains("NO_PUBKEY", bad.Out);
        Assert.Contains("is not signed", bad.Out);
        var install = await lab.SshAsync("node3", "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y kubeadm 2>&1");
        Assert.NotEqual(0, install.Exit);
        Assert.NotEqual(0, (await lab.SshAsync("node3", "command -v kubeadm")).Exit);
    }
}

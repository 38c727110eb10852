using System.Linq;
using PiCluster.Steps.Runtime;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Steps.Runtime;

public class ContainerdConfigTests
{
    private const string Pause = "registry.k8s.io/pause:3.10.1";

    private static string[] Lines(string text) => text.Replace("\r\n", "\n").Split('\n');

    [Fact]
    public void Default16_GetsSystemdCgroupAndPauseImage_OnlyTwoLinesChange()
    {
        var edit = ContainerdConfig.Apply(ContainerdConfigs.Default16, Pause, 1);

        Assert.Equal(2, edit.Version);
        Assert.Equal(2, edit.Changes.Count);
        var before = Lines(ContainerdConfigs.Default16);
        var after = Lines(edit.Text);
        Assert.Equal(before.Length, after.Length);
        var changed = before.Zip(after).Where(p => p.First != p.Second).ToList();
        Assert.Equal(2, changed.Count);
        Assert.Contains(changed, p => p.Second == "            SystemdCgroup = true");
        Assert.Contains(changed, p => p.Second == $"    sandbox_image = \"{Pause}\"");
        Assert.Equal((true, Pause, false), ContainerdConfig.Read(edit.Text));
    }

    [Fact]
    public void SecondApply_ChangesNothing()
    {
        foreach (var config in new[] { ContainerdConfigs.Default16, ContainerdConfigs.Default20, ContainerdConfigs.DockerPackaged, ContainerdConfigs.UserWithMirror, ContainerdConfigs.DebianPackaged })
        {
            var first = ContainerdConfig.Apply(config, Pause, config == ContainerdConfigs.Default20 ? 2 : 1);
            var second = ContainerdConfig.Apply(first.Text, Pause, config == ContainerdConfigs.Default20 ? 2 : 1);
            Assert.True(first.Changed);
            Assert.False(second.Changed, string.Join("; ", second.Changes));
            Assert.Equal(first.Text, second.Text);
        }
    }

    [Fact]
    public void Default20_Version3_AddsSystemdCgroupUnderRuncOptions_AndPinsSandbox()
    {
        var edit = ContainerdConfig.Apply(ContainerdConfigs.Default20, Pause, 2);

        Assert.Equal(3, edit.Version);
        var lines = Lines(edit.Text).ToList();
        var options = lines.IndexOf("          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]");
        var systemd = lines.IndexOf("            SystemdCgroup = true");
        Assert.True(systemd > options && options > 0);
        Assert.DoesNotContain(lines.Skip(options + 1).Take(systemd - options - 1), l => l.TrimStart().StartsWith('['));
        Assert.Contains($"      sandbox = '{Pause}'", lines);
        Assert.DoesNotContain("sandbox_image", edit.Text);
        Assert.Equal((true, Pause, false), ContainerdConfig.Read(edit.Text));
    }

    [Fact]
    public void DockerPackaged_CriReEnabled_VersionDeclared_SectionsAdded_CommentsKept()
    {
        var edit = ContainerdConfig.Apply(ContainerdConfigs.DockerPackaged, Pause, 1);

        Assert.Contains("disabled_plugins = []", edit.Text);
        Assert.Contains(edit.Changes, c => c.Contains("enable the CRI plugin"));
        Assert.Contains("#   Copyright 2018-2022 Docker Inc.", edit.Text);
        Assert.Contains("#  level = \"info\"", edit.Text);
        var lines = Lines(edit.Text).ToList();
        Assert.True(lines.IndexOf("version = 2") < lines.IndexOf("disabled_plugins = []"));
        Assert.True(lines.IndexOf("version = 2") > lines.IndexOf("#   Copyright 2018-2022 Docker Inc."));
        Assert.Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]", lines);
        Assert.Contains("[plugins.\"io.containerd.grpc.v1.cri\"]", lines);
        Assert.Equal((true, Pause, false), ContainerdConfig.Read(edit.Text));
        Assert.Equal((false, null, true), ContainerdConfig.Read(ContainerdConfigs.DockerPackaged));
    }

    [Fact]
    public void UserConfig_KeepsMirrorCommentsAndOtherDisabledPlugin()
    {
        var edit = ContainerdConfig.Apply(ContainerdConfigs.UserWithMirror, Pause, 1);

        Assert.Contains("# Our site's containerd settings. Keep the mirror!", edit.Text);
        Assert.Contains("  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n    endpoint = [\"https://mirror.example.internal\"]", edit.Text);
        Assert.Contains("disabled_plugins = [\"io.containerd.snapshotter.v1.btrfs\"]", edit.Text);
        Assert.Contains("  SystemdCgroup = true # set by hand in 2023", edit.Text);
        Assert.Contains("  max_concurrent_downloads = 2 # slow SD cards\n  sandbox_image = \"" + Pause + "\"", edit.Text);
        Assert.Contains("[debug]\n  level = \"debug\"", edit.Text);
        Assert.Equal(3, edit.Changes.Count);
        Assert.Contains(edit.Changes, c => c == "set SystemdCgroup = true (was false)");
    }

    [Fact]
    public void DebianPackaged_GetsRuncOptionsTable_AndKeepsItsCniDirs()
    {
        var edit = ContainerdConfig.Apply(ContainerdConfigs.DebianPackaged, Pause, 1);

        Assert.Contains("bin_dir = \"/usr/lib/cni\"", edit.Text);
        Assert.Contains("  [plugins.\"io.containerd.grpc.v1.cri\"]\n    sandbox_image = \"" + Pause + "\"\n    [plugins.\"io.containerd.grpc.v1.cri\".cni]", edit.Text);
        Assert.EndsWith("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true", edit.Text);
    }

    [Fact]
    public void Version1Config_UsesShortPluginNames_OnContainerd1_AndIsRefusedOnContainerd2()
    {
        const string v1 = "[plugins.cri]\n  sandbox_image = \"k8s.gcr.io/pause:3.2\"\n";
        var edit = ContainerdConfig.Apply(v1, Pause, 1);
        Assert.Equal(1, edit.Version);
        Assert.Contains("[plugins.cri.containerd.runtimes.runc.options]\n  SystemdCgroup = true", edit.Text);
        Assert.Contains($"sandbox_image = \"{Pause}\"", edit.Text);

        var ex = Assert.Throws<NodeException>(() => ContainerdConfig.Apply(v1, Pause, 2));
        Assert.Contains("containerd config migrate", ex.Message);
    }

    [Fact]
    public void DottedKeysAndInlineTables_AreRecognised()
    {
        const string dotted = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  runtimes.runc.options.SystemdCgroup = false\n";
        var edit = ContainerdConfig.Apply(dotted, Pause, 1);
        Assert.Contains("  runtimes.runc.options.SystemdCgroup = true", edit.Text);

        const string inline = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  options = { BinaryName = \"runc\" }\n";
        var ex = Assert.Throws<NodeException>(() => ContainerdConfig.Apply(inline, Pause, 1));
        Assert.Contains("inline table", ex.Message);
    }

    [Fact]
    public void EmptyOrMissingFile_BecomesAMinimalConfig()
    {
        var edit = ContainerdConfig.Apply("", Pause, 1);
        Assert.StartsWith("version = 2\n", edit.Text);
        Assert.Equal((true, Pause, false), ContainerdConfig.Read(edit.Text));
    }

    [Fact]
    public void MultiLineStringsAndArrays_DoNotConfuseTheParser()
    {
        const string text = "version = 2\nimports = [\n  \"/etc/containerd/conf.d/*.toml\",\n]\nnote = \"\"\"\n[not.a.table]\nSystemdCgroup = false\n\"\"\"\n";
        var edit = ContainerdConfig.Apply(text, Pause, 1);
        Assert.Contains("note = \"\"\"\n[not.a.table]\nSystemdCgroup = false\n\"\"\"", edit.Text);
        Assert.Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true", edit.Text);
    }

    [Theory]
    [InlineData("1.28", "registry.k8s.io/pause:3.9")]
    [InlineData("1.30.4", "registry.k8s.io/pause:3.9")]
    [InlineData("1.31", "registry.k8s.io/pause:3.10")]
    [InlineData("1.33.1", "registry.k8s.io/pause:3.10")]
    [InlineData("1.34", "registry.k8s.io/pause:3.10.1")]
    [InlineData("1.35.0", "registry.k8s.io/pause:3.10.1")]
    [InlineData("1.36", "registry.k8s.io/pause:3.10.2")]
    public void PauseImage_FollowsKubeadm(string version, string image) =>
        Assert.Equal(image, PauseImage.For(PiCluster.Clusters.KubernetesVersion.Parse(version)));

    [Fact]
    public void Crictl_NewFile_AndEditKeepsOtherKeys()
    {
        const string sock = "unix:///run/containerd/containerd.sock";
        Assert.Equal($"runtime-endpoint: {sock}\nimage-endpoint: {sock}\ntimeout: 10\n", CrictlConfig.Render(null, sock));
        var edited = CrictlConfig.Render("runtime-endpoint: unix:///var/run/dockershim.sock\ndebug: true\n", sock);
        Assert.Equal($"runtime-endpoint: {sock}\nimage-endpoint: {sock}\ndebug: true\n", edited);
        Assert.Equal(edited, CrictlConfig.Render(edited, sock));
    }
}

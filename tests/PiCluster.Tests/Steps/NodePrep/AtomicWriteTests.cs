using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using PiCluster.Steps.NodePrep;
using Xunit;

namespace PiCluster.Tests.Steps.NodePrep;

/// <summary>Runs the remote write helper (Scripts/prep-lib.sh) with the local bash against a temporary directory.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AtomicWriteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-write-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Exit, string Stdout, string Stderr) RunBash(string script)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    private (int Exit, string Stdout, string Stderr) Apply(FileEdit edit) =>
        RunBash(PiCluster.Transport.RemoteScripts.Compose("prep-write-files", FileEdit.Writes(edit)));

    [Fact]
    public void KeepsAByteExactBackupAndReplacesTheFile()
    {
        var gen = Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i));
        Prop.ForAll(Gen.Zip(gen, gen).ToArbitrary(), pair =>
        {
            var (original, wanted) = pair;
            var path = Path.Combine(_dir, $"cmdline-{Guid.NewGuid():N}.txt");
            File.WriteAllBytes(path, original);
            var (exit, stdout, stderr) = Apply(new FileEdit(path, original, wanted));
            // The generator can draw the same bytes twice (two empty arrays, mostly): such an edit is not needed, so
            // nothing is written and no backup is made.
            if (original.SequenceEqual(wanted))
                return exit == 0 && stderr.Length == 0 && !stdout.Contains("backup ") && File.ReadAllBytes(path).SequenceEqual(original)
                       && Directory.EnumerateFiles(_dir).Count(f => f.StartsWith(path, StringComparison.Ordinal)) == 1;
            var backup = stdout.Split('\n').Single(l => l.StartsWith("backup ", StringComparison.Ordinal)).Substring(7);
            return exit == 0 && stderr.Length == 0
                   && File.ReadAllBytes(path).SequenceEqual(wanted)
                   && File.ReadAllBytes(backup).SequenceEqual(original)
                   && Path.GetFileName(backup).StartsWith(Path.GetFileName(path) + ".picluster-", StringComparison.Ordinal)
                   && backup.EndsWith("Z.bak", StringComparison.Ordinal)
                   && !Directory.EnumerateFiles(_dir, "*picluster-tmp*").Any();
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    [Fact]
    public void CreatesAMissingFileWithTheGivenModeAndNoBackup()
    {
        var path = Path.Combine(_dir, "sub", "k8s.conf");
        var (exit, stdout, _) = Apply(FileEdit.ToText(path, null, "overlay\n", "0640"));
        Assert.Equal(0, exit);
        Assert.DoesNotContain("backup", stdout);
        Assert.Equal("overlay\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public void RefusesAFileThatChangedSincePlannedAndLeavesItAlone()
    {
        var path = Path.Combine(_dir, "fstab");
        File.WriteAllText(path, "planned\n");
        var edit = FileEdit.ToText(path, File.ReadAllBytes(path), "new\n");
        File.WriteAllText(path, "changed by someone else\n");
        var (exit, _, stderr) = Apply(edit);
        Assert.Equal(3, exit);
        Assert.Contains("changed since it was planned", stderr);
        Assert.Equal("changed by someone else\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void KeepsTheOriginalsModeAndCleansUpATemporaryFileLeftByAnInterruptedRun()
    {
        var path = Path.Combine(_dir, "hosts");
        File.WriteAllText(path, "old\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(_dir, ".hosts.picluster-tmp.abc123"), "half writ");
        var (exit, _, _) = Apply(FileEdit.ToText(path, File.ReadAllBytes(path), "new\n"));
        Assert.Equal(0, exit);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Empty(Directory.GetFiles(_dir, "*picluster-tmp*"));
    }

    [Fact]
    public void TwoEditsInOneSecondKeepTwoBackups()
    {
        var path = Path.Combine(_dir, "grub");
        File.WriteAllText(path, "1\n");
        Assert.Equal(0, Apply(FileEdit.ToText(path, File.ReadAllBytes(path), "2\n")).Exit);
        Assert.Equal(0, Apply(FileEdit.ToText(path, File.ReadAllBytes(path), "3\n")).Exit);
        var backups = Directory.GetFiles(_dir, "grub.picluster-*.bak").Select(File.ReadAllText).OrderBy(t => t).ToArray();
        Assert.Equal(new[] { "1\n", "2\n" }, backups);
    }

    // A full file system, as df reports it: the helper must stop before it writes anything there.
    private const string FullDisk = "df() { echo 'Filesystem 1B-blocks Used Available Use% Mounted on'; echo 'bootfs 536870912 536866816 4096 100% /boot/firmware'; }\n";

    [Fact]
    public void AFullFileSystem_IsReportedBeforeAnythingIsWritten_AndNoBackupIsLeft()
    {
        var path = Path.Combine(_dir, "cmdline.txt");
        File.WriteAllText(path, "console=tty1 root=PARTUUID=1234-02 rootwait\n");
        var before = File.ReadAllBytes(path);
        var edit = new FileEdit(path, before, BootCommandLine.EditCmdlineTxt(before), rebootRequired: true);

        var (exit, stdout, stderr) = RunBash(FullDisk + PiCluster.Transport.RemoteScripts.Compose("prep-write-files", FileEdit.Writes(edit)));

        Assert.Equal(FileEdit.DiskFullExitCode, exit);
        Assert.Contains($"picluster-disk-full ", stderr);
        Assert.EndsWith(path, stderr.Split('\n').Single(l => l.StartsWith("picluster-disk-full", StringComparison.Ordinal)));
        Assert.DoesNotContain("backup", stdout);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "cmdline.txt" }, Directory.GetFiles(_dir).Select(Path.GetFileName));

        var error = FileEdit.DiskFullError(new PiCluster.Engine.PiNode("node1", "127.0.0.1"), "Cgroup",
            new PiCluster.Transport.CommandResult(exit, stdout, stderr));
        Assert.NotNull(error);
        Assert.Equal(PiCluster.Engine.NodeErrorKind.NodeDiskFull, error!.Kind);
        Assert.Contains("node1", error.Message);
        Assert.Contains("Cgroup", error.Message);
        Assert.Contains($"could not write {path}: its file system is full (4096 bytes free", error.Message);
        Assert.DoesNotContain("cmdline.txt.picluster-", error.Message); // no backup is named: none was made
        Assert.DoesNotContain("could not decode", error.Message);
    }

    [Fact]
    public void ABackupThatIsNotByteForByteTheOriginal_StopsTheWrite_AndIsRemoved()
    {
        var path = Path.Combine(_dir, "cmdline.txt");
        File.WriteAllText(path, "console=tty1 root=PARTUUID=1234-02 rootwait\n");
        var before = File.ReadAllBytes(path);
        // cp that truncates its copy, as a file system filling up in the middle of the backup would.
        const string TruncatingCp = "cp() { head -c 5 -- \"${@: -2:1}\" >\"${@: -1}\"; }\n";

        var (exit, stdout, stderr) = RunBash(TruncatingCp + PiCluster.Transport.RemoteScripts.Compose("prep-write-files", FileEdit.Writes(new FileEdit(path, before, BootCommandLine.EditCmdlineTxt(before)))));

        Assert.Equal(FileEdit.DiskFullExitCode, exit);
        Assert.Contains("could not keep a complete backup", stderr);
        Assert.DoesNotContain("backup ", stdout);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "cmdline.txt" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}

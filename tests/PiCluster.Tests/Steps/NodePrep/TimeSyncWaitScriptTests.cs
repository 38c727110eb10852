using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Steps.NodePrep;

/// <summary>
/// Runs the wait of Set-PiTimeSync (Scripts/prep-timesync-wait.sh) with the local bash and a stand-in timedatectl:
/// the kernel's "synchronised" flag is not enough, the running timesyncd must have had an answer.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TimeSyncWaitScriptTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("picluster-timedatectl-").FullName;

    public TimeSyncWaitScriptTests()
    {
        var fake = Path.Combine(_bin, "timedatectl");
        File.WriteAllText(fake, """
            #!/bin/bash
            case $1 in
              --help) echo "  show"; if [ "$FAKE_SHOW_TIMESYNC" = 1 ]; then echo "  show-timesync"; fi ;;
              show) echo "$FAKE_SYNCHRONIZED" ;;
              show-timesync)
                [ "$FAKE_SHOW_TIMESYNC" = 1 ] || exit 1
                case $3 in NTPMessage) echo "$FAKE_NTP_MESSAGE" ;; ServerName) echo 192.168.77.250 ;; esac ;;
            esac

            """.Replace("\r", ""));
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    private (int Exit, string Stdout) Wait(string synchronized, string ntpMessage, bool showTimesync)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = _bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["FAKE_SYNCHRONIZED"] = synchronized;
        start.Environment["FAKE_NTP_MESSAGE"] = ntpMessage;
        start.Environment["FAKE_SHOW_TIMESYNC"] = showTimesync ? "1" : "0";
        using var process = Process.Start(start)!;
        process.StandardInput.Write(RemoteScripts.Compose("prep-timesync-wait", new Dictionary<string, string> { ["PICLUSTER_WAIT_SECONDS"] = "2" }));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result);
    }

    [Fact]
    public void SynchronisedWithAnAnswerFromTheRunningTimesyncdIsDone() =>
        Assert.Equal(0, Wait("yes", "{ Leap=0, Version=4, Mode=4, Stratum=2 }", showTimesync: true).Exit);

    [Fact]
    public void ASynchronisedFlagLeftFromAnEarlierSyncWithoutAnAnswerTimesOutNamingTheServer() =>
        Assert.Equal((4, "192.168.77.250\n"), Wait("yes", "", showTimesync: true));

    [Fact]
    public void NotSynchronisedTimesOut() =>
        Assert.Equal(4, Wait("no", "{ Stratum=2 }", showTimesync: true).Exit);

    [Fact]
    public void WithoutShowTimesyncTheFlagIsAllThereIsToGoBy() =>
        Assert.Equal(0, Wait("yes", "", showTimesync: false).Exit);
}

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Tests.Conventions;
using Xunit;

namespace PiCluster.Tests.Fleet;

/// <summary>
/// The fleet simulation's smoke test (tests/bench/fleet; issue 14): 20 simulated nodes on loopback, one of them hung
/// and one drifted (a fresh Pi's hostname). It proves the harness works and what a fleet run must give, not how fast:
/// a converged Initialize-PiNode and a Test-PiNode reach every other node with one connection and the batched round
/// trips; the drifted node's planned change is refused by the simulated node (so the canned facts are what decides
/// "converged", and nothing is changed on this machine); a hung node fails with its timeout while the others get
/// their results. Needs root (a network namespace), sshd, ssh and python3.
/// </summary>
[Trait("Category", "Fleet")]
public class FleetSimulationTests
{
    private const int Nodes = 20;
    private const string HungNode = "node007";
    private const string DriftedNode = "node003";

    [Fact]
    public async Task TwentyNodesGiveEveryResultTheDriftedNodeIsRefusedAndTheHungNodeFailsWithItsTimeout()
    {
        var json = Path.Combine(Path.GetTempPath(), $"pifleet-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, output) = await RunFleetAsync(json);
            Assert.True(exitCode == 0 && File.Exists(json), $"tests/bench/fleet/fleet exited {exitCode}:\n{output}");
            using var figures = JsonDocument.Parse(File.ReadAllText(json));

            var rows = figures.RootElement.GetProperty("Rows").EnumerateArray().ToList();
            Assert.Equal(new[] { "Initialize-PiNode", "Test-PiNode" }, rows.Select(r => r.GetProperty("Cmdlet").GetString()));
            foreach (var row in rows)
            {
                var what = $"{row.GetProperty("Cmdlet").GetString()}: {row}";
                Assert.True(row.GetProperty("Nodes").GetInt32() == Nodes - 1, what);
                Assert.True(row.GetProperty("Results").GetInt32() == Nodes - 1, what); // a result for every healthy node
                Assert.True(row.GetProperty("ConnPerNode").GetString() == "1", what);
            }
            // Initialize: all Unchanged but the drifted node, whose rename the simulated node refused.
            Assert.Equal(Nodes - 2, rows[0].GetProperty("Good").GetInt32());
            var refused = Assert.Single(rows[0].GetProperty("ErrorMessages").EnumerateArray().Select(e => e.GetString()!).ToList());
            Assert.StartsWith("StepFailed,", refused);
            Assert.Contains($"{DriftedNode}: Initialize: Hostname:", refused);
            Assert.Contains("a simulated node changes nothing; refused", refused);
            // The run lock, every step's facts in one batch, the release (and the drifted node's refused change): the
            // canned facts went through the real batching.
            Assert.Equal("3-4", rows[0].GetProperty("RtPerNode").GetString());
            // Test-PiNode: every check passed on every node (the preflight facts are not drifted).
            Assert.Equal(Nodes - 1, rows[1].GetProperty("Good").GetInt32());
            Assert.Equal(0, rows[1].GetProperty("Errors").GetInt32());
            Assert.Equal("1", rows[1].GetProperty("RtPerNode").GetString());

            var hangRuns = figures.RootElement.GetProperty("HangRuns").EnumerateArray().ToList();
            Assert.Equal(2, hangRuns.Count);
            foreach (var (run, timeout, error, otherErrors) in hangRuns.Zip(new[] { (60, "take the PiCluster run lock", 1), (90, "read preflight facts", 0) },
                         (run, t) => (run, t.Item1, t.Item2, t.Item3)))
            {
                var what = run.ToString();
                Assert.True(run.GetProperty("OtherNodesWithResults").GetInt32() == Nodes - 1, what);
                Assert.True(run.GetProperty("OtherErrors").GetInt32() == otherErrors, what); // the drifted node's refusal
                var hung = Assert.Single(run.GetProperty("Hung").EnumerateArray().ToList());
                Assert.Equal(HungNode, hung.GetProperty("Node").GetString());
                Assert.StartsWith("Timeout,", hung.GetProperty("ErrorId").GetString());
                Assert.Contains($"{HungNode}: ", hung.GetProperty("Message").GetString());
                Assert.Contains($"'{error}", hung.GetProperty("Message").GetString());
                Assert.Contains($"within {timeout} s", hung.GetProperty("Message").GetString());
                Assert.Equal(0, hung.GetProperty("ResultObjects").GetInt32());
                // It fails with its timeout, counted from when the command that hung was sent, and holds the run no
                // longer (generous margins: the machine is shared).
                var failedAfter = hung.GetProperty("FailedAfterSeconds").GetDouble();
                Assert.Contains(error, hung.GetProperty("CommandSent").GetString());
                Assert.InRange(failedAfter - hung.GetProperty("CommandSentSeconds").GetDouble(), timeout - 1, timeout + 15);
                Assert.InRange(run.GetProperty("Seconds").GetDouble(), timeout, failedAfter + 15);
                Assert.True(run.GetProperty("LastOtherResultSeconds").GetDouble() <= failedAfter + 5, what);
            }
            // Test-PiNode streams each node's results: the others do not wait for the hung node at all.
            Assert.True(hangRuns[1].GetProperty("LastOtherResultSeconds").GetDouble() < 60, hangRuns[1].ToString());
        }
        finally { File.Delete(json); }
    }

    private static async Task<(int ExitCode, string Output)> RunFleetAsync(string json)
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = ModulePaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "tests/bench/fleet/fleet", "--nodes", $"{Nodes}", "--hang", HungNode, "--drift", DriftedNode, "--", "-ThrottleLimit", "10", "-Json", json })
            psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, "timed out after 10 minutes\n" + await stdout + await stderr);
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Engine;

/// <summary>
/// Facts of every step in one round trip: Scripts/fact-batch.sh run by a real bash (here, as the node would), its
/// framing parsed back, and the runner answering each step's fact command from the batch until a change makes it stale.
/// </summary>
public class FactBatchTests
{
    /// <summary>Runs a command's script with this machine's bash, the input on stdin, as ssh-bootstrap.sh would.</summary>
    internal static CommandResult Bash(RemoteCommand command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command.Script);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(command.Input ?? "");
        process.StandardInput.Close();
        process.WaitForExit();
        return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void EachPartComesBackWithItsOwnExitCodeOutputAndErrors()
    {
        var parts = new[]
        {
            new RemoteCommand("echo one; echo warn >&2", asRoot: true),
            new RemoteCommand("set -e; cat; false; echo never", asRoot: true, input: "line 1\nline 2\n"),
            new RemoteCommand("printf 'naïve – ü\\n\\n\\n'; exit 7", asRoot: true),
            new RemoteCommand("trap 'echo trapped' EXIT; exit 0", asRoot: true),
            new RemoteCommand("", asRoot: true),
        };

        var batch = FactBatch.Compose(parts, TimeSpan.FromMinutes(1));
        var results = FactBatch.Parse(Bash(batch), parts.Length);

        Assert.True(batch.AsRoot);
        Assert.NotNull(results);
        Assert.Equal(new[] { 0, 1, 7, 0, 0 }, results!.Select(r => r.Result.ExitCode));
        Assert.Equal(("one\n", "warn\n"), (results[0].Result.Stdout, results[0].Result.Stderr));
        Assert.Equal("line 1\nline 2\n", results[1].Result.Stdout);
        Assert.Equal("naïve – ü\n\n\n", results[2].Result.Stdout); // byte counts survive multi-byte text and trailing newlines
        Assert.Equal("trapped\n", results[3].Result.Stdout);
        Assert.Equal(("", ""), (results[4].Result.Stdout, results[4].Result.Stderr));
        Assert.All(results, r => Assert.InRange(r.Elapsed!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void EachPartSaysHowLongItTookOnTheNode()
    {
        var parts = new[] { new RemoteCommand("sleep 0.3", asRoot: true), new RemoteCommand("true", asRoot: true) };
        var results = FactBatch.Parse(Bash(FactBatch.Compose(parts, TimeSpan.FromMinutes(1))), 2)!;
        Assert.InRange(results[0].Elapsed!.Value, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));
        Assert.True(results[1].Elapsed < results[0].Elapsed);
    }

    [Fact]
    public void ABashWithoutEpochRealtimeSendsNoTimingAndTheBatchStillHolds()
    {
        var parsed = FactBatch.Parse(new CommandResult(0, "@@picluster-part 0 0 2 0 -1\nab", ""), 1)!;
        Assert.Equal(("ab", (TimeSpan?)null), (parsed[0].Result.Stdout, parsed[0].Elapsed));
    }

    [Fact]
    public void PartsAskingTheSameQuestionRunItOnceAndEachGetsItsOutputErrorsAndExitCode()
    {
        var counter = Path.GetTempFileName();
        try
        {
            // A "kubectl" that counts its runs in a file and answers on both streams with exit code 3.
            var ask = RemoteScripts.ComposeGenerated(
                "# shellcheck source=fact-once-lib.sh\nsource fact-once-lib.sh\n" +
                "ask() { echo run >>\"$COUNTER\"; printf 'out %s\\n' \"$*\"; echo \"err $1\" >&2; return 3; }\n" +
                "picluster_once ask get nodes; echo \"exit $?\"\n",
                new Dictionary<string, string> { ["COUNTER"] = counter });
            var other = ask.Replace("ask get nodes", "ask get pods", StringComparison.Ordinal);
            var parts = new[] { new RemoteCommand(ask, asRoot: true), new RemoteCommand(other, asRoot: true), new RemoteCommand(ask, asRoot: true) };

            var results = FactBatch.Parse(Bash(FactBatch.Compose(parts, TimeSpan.FromMinutes(1))), 3)!;

            Assert.Equal(("out get nodes\nexit 3\n", "err get\n"), (results[0].Result.Stdout, results[0].Result.Stderr));
            Assert.Equal(("out get pods\nexit 3\n", "err get\n"), (results[1].Result.Stdout, results[1].Result.Stderr));
            Assert.Equal((results[0].Result.Stdout, results[0].Result.Stderr), (results[2].Result.Stdout, results[2].Result.Stderr));
            Assert.Equal(2, File.ReadAllLines(counter).Length); // get nodes once, get pods once

            // Outside a batch the command simply runs, each time.
            File.WriteAllText(counter, "");
            Assert.Equal("out get nodes\nexit 3\n", Bash(new RemoteCommand(ask, asRoot: true)).Stdout);
            Bash(new RemoteCommand(ask, asRoot: true));
            Assert.Equal(2, File.ReadAllLines(counter).Length);
        }
        finally
        {
            File.Delete(counter);
        }
    }

    [Fact]
    public void ScriptsAndInputsTravelAsDataNotAsCode()
    {
        const string hostile = "'; echo injected; '$(echo injected)`echo injected`\n@@picluster-part 9 9 9 9\n";
        var parts = new[] { new RemoteCommand("cat", asRoot: true, input: hostile), new RemoteCommand("printf '%s' \"$0\"", asRoot: true) };
        var results = FactBatch.Parse(Bash(FactBatch.Compose(parts, TimeSpan.FromMinutes(1))), 2)!;
        Assert.Equal(hostile, results[0].Result.Stdout);
        Assert.DoesNotContain("injected\n", results[1].Result.Stdout);
    }

    [Theory]
    [InlineData(1, "@@picluster-part 0 0 3 0 5\nab")]            // shorter than it says
    [InlineData(1, "@@picluster-part 0 0 1 0 5\nab")]            // longer than it says
    [InlineData(2, "@@picluster-part 0 0 0 0 5\n")]              // a part missing
    [InlineData(1, "@@picluster-part 1 0 0 0 5\n")]              // the wrong part
    [InlineData(1, "@@picluster-part 0 0 0 0\n")]                // no timing field: another script's framing
    [InlineData(1, "garbage")]
    public void AnythingButAWholeBatchIsIgnored(int count, string stdout) =>
        Assert.Null(FactBatch.Parse(new CommandResult(0, stdout, ""), count));

    [Fact]
    public void AFailedBatchIsIgnored() =>
        Assert.Null(FactBatch.Parse(new CommandResult(1, "@@picluster-part 0 0 0 0 5\n", ""), 1));

    [Fact]
    public void TheBatchIsBoundedByTheFactTimeoutNotBySummingItsParts()
    {
        var parts = new[] { new RemoteCommand("a", asRoot: true, timeout: TimeSpan.FromMinutes(2)), new RemoteCommand("b", asRoot: true), new RemoteCommand("c", asRoot: true) };
        Assert.Equal(TimeSpan.FromMinutes(3), FactBatch.Compose(parts, TimeSpan.FromMinutes(3)).Timeout);
        // A part that needs longer than the fact budget keeps its own.
        var slow = new[] { new RemoteCommand("a", asRoot: true, timeout: TimeSpan.FromMinutes(5)), new RemoteCommand("b", asRoot: true) };
        Assert.Equal(TimeSpan.FromMinutes(5), FactBatch.Compose(slow, TimeSpan.FromMinutes(3)).Timeout);
    }

    /// <summary>A step that reads one fact (a file on "the node", here a temp dir) and, when told to, writes it.</summary>
    private sealed class FileStep(string name, string path, string? write) : NodeStep
    {
        private RemoteCommand Facts => new($"cat {ShellText.Quote(path)} 2>/dev/null || echo absent", asRoot: true, display: $"{name} facts");

        public List<string> Seen { get; } = new();

        public override string Name => name;

        public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { Facts };

        public override async Task<StepPlan> PlanAsync(StepContext context)
        {
            var now = (await context.Session.RunAsync(Facts, context.Cancellation)).Stdout.Trim();
            Seen.Add(now);
            return write is null || now == write ? StepPlan.Unchanged() : new StepPlan(new[] { new Change($"write {write}") });
        }

        public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
        {
            await context.Session.RunAsync(new RemoteCommand($"printf '%s\\n' {ShellText.Quote(write!)} > {ShellText.Quote(path)}", asRoot: true), context.Cancellation);
            return null;
        }
    }

    private static (FakeConnector Connector, RecordingRunHost Host) Run(params NodeStep[] steps)
    {
        var connector = new FakeConnector((_, command) => Bash(command));
        var host = new RecordingRunHost();
        new ClusterRunner(connector, new RunOptions()).Run(new[] { new PiNode("n1", "127.0.0.1") }, steps, host, CancellationToken.None);
        return (connector, host);
    }

    [Fact]
    public void AConvergedRunReadsEveryStepsFactsInOneRoundTrip()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "a"), "done\n");
        File.WriteAllText(Path.Combine(dir.Path, "b"), "done\n");
        var steps = new[] { new FileStep("A", Path.Combine(dir.Path, "a"), "done"), new FileStep("B", Path.Combine(dir.Path, "b"), "done"),
            new FileStep("C", Path.Combine(dir.Path, "c"), null) };

        var (connector, host) = Run(steps);

        Assert.Empty(host.Failures);
        Assert.All(host.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        Assert.Equal(new[] { "done", "done", "absent" }, steps.Select(s => s.Seen.Single()));
        var commands = connector.Sessions["n1"].Commands;
        // Take the lock, read all facts, release the lock: nothing else.
        Assert.Equal(3, commands.Count);
        Assert.Contains("picluster-fact-batch", commands[1].Script);
        Assert.Contains("n1: 1 connection, 3 round trips", host.Verbose); // what -Verbose (and the benchmark) reads
        // ... and where the facts' time went, slowest first.
        var timings = Assert.Single(host.Verbose, l => l.StartsWith("n1: 3 fact scripts in ", StringComparison.Ordinal));
        Assert.Matches(@"; slowest: [ABC] facts \d+\.\d s, [ABC] facts \d+\.\d s, [ABC] facts \d+\.\d s$", timings);
    }

    [Fact]
    public void AStepAfterAChangeReadsItsFactsAgain()
    {
        using var dir = new TempDir();
        var shared = Path.Combine(dir.Path, "shared");
        File.WriteAllText(shared, "old\n");
        // A changes the file that B reads: B must see the new content, not what the batch read before A ran.
        var a = new FileStep("A", shared, "new");
        var b = new FileStep("B", shared, null);

        var (connector, host) = Run(a, b);

        Assert.Empty(host.Failures);
        Assert.Equal(new[] { "old" }, a.Seen);
        Assert.Equal(new[] { "new" }, b.Seen);
        // lock, batch, A's write, B's facts again, release
        Assert.Equal(5, connector.Sessions["n1"].Commands.Count);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("picluster-facts-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

/// <summary>The run lock's lease is renewed from the client once half of it has passed, and not before.</summary>
public class LeaseRenewalTests
{
    private static int LockCommands(FakeNodeSession session) =>
        session.Commands.Count(c => c.Script.Contains(NodeLock.ScriptMarker) && c.Script.Contains("PICLUSTER_LOCK_ACTION='acquire'"));

    private static FakeNodeSession Run(TimeSpan work)
    {
        var connector = new FakeConnector();
        var step = new ScriptedStep("Work", async c =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < work)
            {
                await c.Session.RunAsync(new RemoteCommand("true"), c.Cancellation);
                await Task.Delay(50);
            }
            return StepPlan.Unchanged();
        });
        // A 4 s lease: a renewal is due 2 s after the last one.
        new ClusterRunner(connector, new RunOptions { LockLease = TimeSpan.FromSeconds(4) })
            .Run(new[] { new PiNode("n1", "127.0.0.1") }, new[] { step }, new RecordingRunHost(), CancellationToken.None);
        return connector.Sessions["n1"];
    }

    [Fact]
    public void ARunDoneWithinHalfTheLeaseSpendsNoRoundTripOnRenewals() =>
        Assert.Equal(1, LockCommands(Run(TimeSpan.FromSeconds(1.2)))); // the acquire only

    [Fact]
    public void ALongerRunRenewsItsLease()
    {
        var session = Run(TimeSpan.FromSeconds(5));
        Assert.True(LockCommands(session) >= 2, $"{LockCommands(session)} lock commands: a run longer than the lease must renew");
    }
}

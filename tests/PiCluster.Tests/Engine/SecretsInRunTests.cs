using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Tests.Transport;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Engine;

/// <summary>
/// The run's secret (the sudo password from -Credential) never reaches what a user can see of a run: results, their
/// changes and data, ShouldProcess text, verbose lines, failures and the exceptions behind them.
/// </summary>
public class SecretsInRunTests
{
    private static readonly PiNode Node = new("node1", "192.0.2.10", port: 2222);

    public static TheoryData<int> Lengths() => new(new[] { 1, 2, 3, 5, 7, 8, 9, 16, 33, 64 });

    private static RunOptions WithPassword(string password)
    {
        var secure = new System.Security.SecureString();
        foreach (var c in password) secure.AppendChar(c);
        return new RunOptions { Connect = new ConnectOptions { SudoPassword = secure } };
    }

    // Where the secret shows when it is not masked: as a token, or (for long ones) anywhere.
    private static void AssertHidden(string secret, string? text)
    {
        if (text is null) return;
        if (secret.Length >= Redactor.AnywhereFrom) Assert.DoesNotContain(secret, text);
        else Assert.DoesNotMatch($@"(?<![\p{{L}}\p{{N}}*]){System.Text.RegularExpressions.Regex.Escape(secret)}(?![\p{{L}}\p{{N}}*])", text);
    }

    private static IEnumerable<string?> Texts(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e.Message;
            yield return e.StackTrace;
            yield return e.ToString();
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ASecretInAPlanAFailureAndItsExceptionChainIsMaskedEverywhere(int length)
    {
        var secret = RedactorTests.Secret(length);
        var host = new RecordingRunHost();
        var step = new ScriptedStep("Join",
            _ => Task.FromResult(new StepPlan(new[] { new Change($"write {secret} to x{secret}y", $"+{secret}\n-old {secret}\n") }, facts: $"fact {secret}")),
            (_, _) =>
            {
                var inner = new InvalidOperationException($"inner said {secret}.");
                inner.Data["password"] = secret;
                throw new NodeException(NodeErrorKind.StepFailed, $"node1: Join: kubeadm said {secret} ({secret})", inner);
            });
        var runner = new ClusterRunner(new FakeConnector(), WithPassword(secret));
        runner.Run(new[] { Node }, new[] { step }, host, CancellationToken.None);

        var action = Assert.Single(host.ShouldProcessCalls).Action;
        AssertHidden(secret, action);
        Assert.Contains(Redactor.Mask, action);
        var result = Assert.Single(host.Results);
        Assert.Equal(StepStatus.Failed, result.Status);
        AssertHidden(secret, result.Message);
        Assert.All(result.Changes, c => { AssertHidden(secret, c.Description); AssertHidden(secret, c.Diff); });
        Assert.All(host.Verbose, l => AssertHidden(secret, l));

        var failure = Assert.Single(host.Failures);
        AssertHidden(secret, failure.Message);
        AssertHidden(secret, failure.Detail);
        Assert.All(Texts(failure.Exception), t => AssertHidden(secret, t));
        // The exception is a copy: nothing in its chain is the exception the step threw, and it carries no Data.
        for (var e = failure.Exception; e is not null; e = e.InnerException)
        {
            Assert.True(e is NodeException or RedactedException, e.GetType().FullName);
            Assert.Empty(e.Data);
        }
        var copy = Assert.IsType<RedactedException>(failure.Exception.InnerException);
        Assert.Equal(typeof(InvalidOperationException).FullName, copy.OriginalType);
        Assert.Contains("inner said", copy.Message);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ResultsAndTheirDataAreMasked(int length)
    {
        var secret = RedactorTests.Secret(length);
        var host = new RecordingRunHost();
        var step = new ScriptedStep("Write",
            _ => Task.FromResult(new StepPlan(new[] { new Change($"set {secret}") })),
            (_, _) => Task.FromResult<object?>(new[] { $"did {secret}" }));
        new ClusterRunner(new FakeConnector(), WithPassword(secret)).Run(new[] { Node }, new[] { step }, host, CancellationToken.None);

        var result = Assert.Single(host.Results);
        Assert.Equal(StepStatus.Changed, result.Status);
        AssertHidden(secret, result.Message);
        AssertHidden(secret, Assert.Single(result.Changes).Description);
        AssertHidden(secret, Assert.Single((IEnumerable<string>)result.Data!));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void CommandOutputMasksTheRunsSecretsButLeavesChecksumsAlone(int length)
    {
        var secret = RedactorTests.Secret(length);
        const string checksum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var host = new RecordingRunHost();
        var connector = new FakeConnector((_, _) => new CommandResult(0, $"{checksum}  file\nout {secret}\n", $"err {secret}\n"));
        new AdHocCommandRunner(connector, WithPassword(secret)).Run(new[] { Node }, new RemoteCommand("cat x"), host, CancellationToken.None);

        var output = Assert.Single(host.Output<CommandOutput>());
        AssertHidden(secret, output.Output);
        AssertHidden(secret, output.Error);
        Assert.StartsWith(checksum, output.Output);
    }

    [Fact]
    public void AFailureNamesItsNodeAndStepOnceInFront()
    {
        var error = SshErrors.Classify(Node, "ssh: connect to host 192.0.2.10 port 2222: Connection refused\n");
        var failure = NodeFailure.From(Node, ClusterRunner.ConnectStep, error, new Redactor());

        Assert.StartsWith("node1: Connect: cannot reach 192.0.2.10:2222 over SSH.", failure.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(failure.Message, "node1"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(failure.Message, "Connect:"));
        Assert.Equal(failure.Message, failure.Exception.Message);
        Assert.Equal(NodeErrorKind.NodeUnreachable, ((NodeException)failure.Exception).Kind);
        Assert.StartsWith("cannot reach", failure.Detail);
    }

    [Theory]
    [InlineData("node1: Swap: swap is on", "swap is on")]
    [InlineData("node1: swap is on", "swap is on")]
    [InlineData("Swap: node1: swap is on", "swap is on")]
    [InlineData("swap is on", "swap is on")]
    [InlineData("node1:", "(no message)")]
    [InlineData("node10: other node", "node10: other node")]
    public void AFailureDropsTheNodeAndStepItsMessageStartsWith(string message, string detail)
    {
        var failure = NodeFailure.From(Node, "Swap", new NodeException(NodeErrorKind.StepFailed, message), new Redactor());
        Assert.Equal(detail, failure.Detail);
        Assert.Equal($"node1: Swap: {detail}", failure.Message);
    }

    [Fact]
    public void AnUnexpectedFailureOfTheRunReachesTheCallerRedacted()
    {
        var secret = "Bug-" + Guid.NewGuid().ToString("N");
        var host = new RecordingRunHost();
        // Node failures are caught per node; what escapes the work of a run is a bug. The scope sets up the pump so
        // that such an exception reaches the cmdlet (and so PowerShell's $Error) only as a redacted copy.
        var pump = new HostPump();
        _ = new RunScope(new FakeConnector(), WithPassword(secret), pump);
        var e = Assert.Throws<RedactedException>(() => pump.Run(host,
            _ => throw new InvalidOperationException($"bug with {secret}", new Exception(secret)), CancellationToken.None));
        Assert.All(Texts(e), t => AssertHidden(secret, t));
        Assert.Equal(typeof(InvalidOperationException).FullName, e.OriginalType);
    }
}

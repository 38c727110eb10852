using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using System.Xml.Linq;
using PiCluster.Tests.Conventions;
using Xunit;

namespace PiCluster.Tests.PowerShell;

/// <summary>Runs tests/Pester/run.ps1 in the pinned pwsh and turns its NUnit XML into one verdict with the failures named.</summary>
public static class PesterSuite
{
    /// <summary>Pester's counts and the names of the tests that failed.</summary>
    public sealed record Outcome(int Passed, int Failed, int Skipped, IReadOnlyList<string> Failures);

    public static async Task<Outcome> RunAsync(string resultName, IReadOnlyList<string> filter, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var resultPath = Path.Combine(Pwsh.ResultsDirectory(), $"pester-{resultName}.xml");
        File.Delete(resultPath);
        var run = await Pwsh.RunAsync(
            new[] { "-File", Path.Combine(ModulePaths.RepoRoot, "tests", "Pester", "run.ps1"), "-ResultPath", resultPath }.Concat(filter),
            timeout, environment);
        Assert.False(run.TimedOut, $"Pester did not finish within {timeout}.\n{run}");
        Assert.True(File.Exists(resultPath), $"Pester could not run (no result file).\n{run}");

        var cases = XDocument.Load(resultPath).Descendants("test-case").ToList();
        var failures = cases.Where(c => (string?)c.Attribute("result") is "Failure" or "Error")
            .Select(c => $"{c.Attribute("name")?.Value}: {c.Descendants("message").FirstOrDefault()?.Value}").ToList();
        var outcome = new Outcome(
            cases.Count(c => (string?)c.Attribute("result") == "Success"),
            failures.Count,
            cases.Count(c => (string?)c.Attribute("result") is "Ignored" or "Skipped" or "Inconclusive" or "NotRunnable"),
            failures);
        // A failure outside any test (a broken BeforeAll, a discovery error) fails the run without a failed test case.
        Assert.True(run.ExitCode == 0 && failures.Count == 0,
            $"Pester: {outcome.Passed} passed, {outcome.Failed} failed\n{string.Join("\n", failures)}\n{run}");
        return outcome;
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using PiCluster.Tests.Conventions;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>The one composer of remote scripts (RemoteScripts.Compose), and the conventions that keep it the only one.</summary>
public sealed class RemoteScriptsTests
{
    private static string ScriptsDir => Path.Combine(ModulePaths.RepoRoot, "src", "PiCluster.Core", "Scripts");
    private static string CoreDir => Path.Combine(ModulePaths.RepoRoot, "src", "PiCluster.Core");

    private static Func<string, string> From(Dictionary<string, string> scripts) =>
        name => scripts.TryGetValue(name, out var text) ? text : throw new ArgumentException($"No remote script named '{name}'.");

    [Fact]
    public void ASourceLine_IsReplacedByTheLibrarysText_WhereItStands()
    {
        var load = From(new()
        {
            ["main"] = "# main\n# shellcheck source=lib.sh\nsource lib.sh\necho main\n",
            ["lib"] = "lib_fn() { echo lib; }\n",
        });
        Assert.Equal("# main\n# shellcheck source=lib.sh\nlib_fn() { echo lib; }\necho main\n", RemoteScripts.ComposeFrom(load, "main"));
    }

    [Fact]
    public void Libraries_AreInlinedRecursively_AndEachOnlyOnce()
    {
        var load = From(new()
        {
            ["main"] = "source a.sh\n. ./b.sh\nsource a.sh\necho main\n",
            ["a"] = "source base.sh\necho a\n",
            ["b"] = ". base.sh\necho b", // no final line break: the next line must still start a line
            ["base"] = "echo base\n",
        });
        Assert.Equal("echo base\necho a\necho b\necho main\n", RemoteScripts.ComposeFrom(load, "main"));
    }

    [Fact]
    public void AnUnknownLibrary_IsRefused()
    {
        var load = From(new() { ["main"] = "source missing.sh\necho main\n" });
        var error = Assert.Throws<ArgumentException>(() => RemoteScripts.ComposeFrom(load, "main"));
        Assert.Contains("missing", error.Message);
        Assert.Throws<ArgumentException>(() => RemoteScripts.Compose("no-such-script"));
    }

    [Fact]
    public void LibrariesThatSourceEachOther_AreRefused()
    {
        var load = From(new()
        {
            ["main"] = "source a.sh\n",
            ["a"] = "source b.sh\n",
            ["b"] = "source a.sh\n",
        });
        var error = Assert.Throws<ArgumentException>(() => RemoteScripts.ComposeFrom(load, "main"));
        Assert.Contains("main -> a -> b -> a", error.Message);
        Assert.Throws<ArgumentException>(() => RemoteScripts.ComposeFrom(From(new() { ["self"] = "source self.sh\n" }), "self"));
    }

    [Fact]
    public void OnlyAWholeSourceLine_PullsInALibrary()
    {
        // A source of a path, a variable or a line with more on it is the script's own business and stays as written.
        var text = "source /etc/os-release\nsource \"$lib\"\nif true; then source x.sh; fi\n# source x.sh\n";
        Assert.Equal(text, RemoteScripts.ComposeFrom(From(new() { ["main"] = text }), "main"));
    }

    public static IEnumerable<object[]> Hostile() => new[]
    {
        "it's", "\"double\" \\back\\ $HOME ${IFS} $(touch /tmp/picluster-pwned)", "`touch /tmp/picluster-pwned`",
        "line one\nline two\n", "'; touch /tmp/picluster-pwned; '", "", "tab\there * ? [a]",
    }.Select(v => new object[] { v });

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Variables_ArriveLiterally_WhenTheComposedScriptRunsInBash(string value)
    {
        var load = From(new() { ["main"] = "source lib.sh\nprintf '%s|%s' \"$V\" \"$W\"\n", ["lib"] = "set -euo pipefail\n" });
        var (exit, stdout) = RunBash(RemoteScripts.ComposeFrom(load, "main", new Dictionary<string, string> { ["V"] = value, ["W"] = "plain" }));
        Assert.Equal(0, exit);
        Assert.Equal(value + "|plain", stdout);
        Assert.False(File.Exists("/tmp/picluster-pwned"));
    }

    [Theory]
    [InlineData("A B")]
    [InlineData("1ABC")]
    [InlineData("X=$(reboot)")]
    [InlineData("")]
    public void AVariableNameThatIsNoShellName_IsRefused(string name) =>
        Assert.Throws<ArgumentException>(() => RemoteScripts.Compose("leader-facts", new Dictionary<string, string> { [name] = "v" }));

    [Fact]
    public void EveryNodeScript_Composes_AndNoSourceLineIsLeft()
    {
        var names = Directory.GetFiles(ScriptsDir, "*.sh").Select(f => Path.GetFileNameWithoutExtension(f)!).ToList();
        Assert.NotEmpty(names);
        foreach (var name in names)
        {
            var text = RemoteScripts.Compose(name);
            Assert.DoesNotMatch(@"(?m)^[ \t]*(source|\.)[ \t]+(\./)?[A-Za-z0-9_-]+\.sh[ \t]*$", text);
            Assert.Equal(0, RunBash(text, syntaxOnly: true).Exit);
        }
    }

    [Fact]
    public void AFactScript_GetsPrepLibsFunctions_WithoutStopOnError()
    {
        var text = RemoteScripts.Compose("prep-swap-facts");
        var lib = text.IndexOf("picluster_file_section() {", StringComparison.Ordinal);
        var relaxed = text.IndexOf("set +e +o pipefail", StringComparison.Ordinal);
        var body = text.IndexOf("echo \"@@ swaps\"", StringComparison.Ordinal);
        Assert.True(lib >= 0 && lib < relaxed && relaxed < body, "prep-lib.sh, then set +e +o pipefail, then the facts");
    }

    /// <summary>
    /// Every RemoteCommand in src/PiCluster.Core gets its script from the composer: no script text is loaded, prefixed
    /// or spliced anywhere else. A plain grep of the sources, so a new site that builds bash by hand fails here.
    /// </summary>
    [Fact]
    public void EveryRemoteCommand_IsBuiltFromTheComposer()
    {
        // The only sites whose bash is still generated in C# (each says why); they go through ComposeGenerated.
        var generated = new[] { "NodePrepStep.cs", "NetworkStep.cs" };
        var problems = new List<string>();
        var sites = 0;
        foreach (var file in Directory.GetFiles(CoreDir, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            var name = Path.GetFileName(file);
            if (name == "RemoteScripts.cs") continue;
            var text = File.ReadAllText(file);
            foreach (var forbidden in new[] { "RemoteScripts.Load", "#!/bin/bash", "WithVariables", "GetManifestResourceStream(\"PiCluster.Scripts" })
                if (text.Contains(forbidden, StringComparison.Ordinal)) problems.Add($"{name}: {forbidden}");
            if (text.Contains("ComposeGenerated", StringComparison.Ordinal) && !generated.Contains(name)) problems.Add($"{name}: ComposeGenerated outside the listed sites");

            // "new RemoteCommand(X" and target-typed "RemoteCommand ... new(X": X is the composer, or a local assigned from it.
            foreach (Match site in Regex.Matches(text, @"new RemoteCommand\((?<arg>[^,)]*)|RemoteCommand\b[^;{}=]*(=|=>)\s*new\((?<arg>[^,)]*)"))
            {
                sites++;
                var arg = site.Groups["arg"].Value.Trim();
                var composed = arg.StartsWith("RemoteScripts.Compose", StringComparison.Ordinal)
                    || (Regex.IsMatch(arg, "^[A-Za-z_][A-Za-z0-9_]*$") && Regex.IsMatch(text, $@"\b{arg}\s*=\s*RemoteScripts\.Compose"));
                if (!composed) problems.Add($"{name}: a RemoteCommand from '{arg}'");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(sites >= 20, $"only {sites} RemoteCommand sites found: the search no longer sees them");
    }

    [ShellcheckFact]
    public void EveryNodeScript_PassesShellcheck_WithItsLibrariesFollowed()
    {
        var scripts = Directory.GetFiles(ScriptsDir, "*.sh").Select(f => "./" + Path.GetFileName(f)).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var start = new ProcessStartInfo("shellcheck") { WorkingDirectory = ScriptsDir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-x");
        foreach (var script in scripts) start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stdout.Result + stderr);
    }

    private static (int Exit, string Stdout) RunBash(string script, bool syntaxOnly = false)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (syntaxOnly) start.ArgumentList.Add("-n");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result);
    }
}

/// <summary>A fact that needs shellcheck on this machine; skipped, saying so, where it is not installed.</summary>
public sealed class ShellcheckFactAttribute : FactAttribute
{
    /// <summary>Skips when no shellcheck is on the PATH.</summary>
    public ShellcheckFactAttribute()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "shellcheck")));
        if (!found) Skip = "shellcheck is not installed on this machine (apt-get install shellcheck): the node scripts were not checked.";
    }
}

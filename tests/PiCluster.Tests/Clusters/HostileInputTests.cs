using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PiCluster.Clusters;
using PiCluster.Tests.Conventions;
using Xunit;
using Xunit.Abstractions;

namespace PiCluster.Tests.Clusters;

/// <summary>
/// The hostile corpus (ClusterFiles/hostile) in pwsh processes bounded in time (<see cref="HostilePwsh.TimeLimit"/>) and
/// memory (a GC heap hard limit and a check of the peak working set); each case must end with its validation error,
/// never a crash or a hang. Every structure/ file (nesting and alias bombs, sizes, encodings) gets a process of its own;
/// the injections/ files and parameter values share a process in small batches, which keeps the run near a minute.
/// Each process finds a fake <c>ssh</c> first on its PATH that records any call, so "no node was contacted" is
/// checked, not assumed; the nodes also point at 127.0.0.1:22999.
/// </summary>
[Trait("Category", "Hostile")]
public class HostileClusterFileTests(ITestOutputHelper output)
{
    private const string Generated = "generated-over-1-MiB.yaml";
    private const int BatchSize = 9;

    public static TheoryData<string> StructureFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Yaml("structure"))
            data.Add(file);
        data.Add(Generated);
        return data;
    }

    public static TheoryData<string> InjectionBatches()
    {
        var data = new TheoryData<string>();
        foreach (var batch in Yaml("injections").Chunk(BatchSize))
            data.Add(string.Join(",", batch));
        return data;
    }

    internal static IEnumerable<string> Yaml(string kind) =>
        Directory.GetFiles(Path.Combine(HostilePwsh.CorpusFolder, kind), "*.yaml").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal)!;

    [Theory]
    [MemberData(nameof(StructureFiles))]
    public void AStructureFileFailsFastInItsOwnProcess(string file)
    {
        using var run = new HostilePwsh();
        var path = file == Generated ? GenerateOverSizedFile(run.ScratchFolder) : Path.Combine(HostilePwsh.CorpusFolder, "structure", file);
        var expected = file == Generated
            ? new List<(string, string)> { ("1:1", $"The file is {ClusterFileLimits.MaxBytes + 1} bytes: a cluster file may be at most") }
            : Expectations(path);
        var result = run.Run(new[] { CaseScript(path) }).Single();
        output.WriteLine($"{file}: refused in {result.Value("MS")} ms, completion {result.Value("COMPLETIONMS")} ms");
        AssertRefused(result, path, expected);
    }

    [Theory]
    [MemberData(nameof(InjectionBatches))]
    public void AnInjectionIntoAFieldFailsFast(string files)
    {
        using var run = new HostilePwsh();
        var paths = files.Split(',').Select(f => Path.Combine(HostilePwsh.CorpusFolder, "injections", f)).ToList();
        var results = run.Run(paths.Select(CaseScript).ToList());
        for (var i = 0; i < paths.Count; i++)
            output.WriteLine($"{Path.GetFileName(paths[i])}: refused in {results[i].Value("MS")} ms, completion {results[i].Value("COMPLETIONMS")} ms");
        HostilePwsh.AssertAll(paths.Select((path, i) => (Path.GetFileName(path), (Action)(() => AssertRefused(results[i], path, Expectations(path))))));
    }

    /// <summary>Loads the file as Test-PiNode -Path does, then completes -Name from it as Tab would.</summary>
    private static string CaseScript(string path) => $$"""
        $path = '{{path}}'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        try { Test-PiNode -Path $path | Out-Null; 'RESULT:no error' }
        catch { 'ID:' + $_.FullyQualifiedErrorId; 'MESSAGE:' + ($_.Exception.Message -replace "`r?`n", '<NL>') }
        'MS:' + $watch.ElapsedMilliseconds
        $watch.Restart()
        $line = "Get-PiNode -Path '$path' -Name "
        'COMPLETIONS:' + (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.Count
        'COMPLETIONMS:' + $watch.ElapsedMilliseconds
        """;

    private static void AssertRefused(HostilePwsh.Result result, string path, List<(string Position, string Fragment)> expected)
    {
        Assert.NotEmpty(expected);
        Assert.StartsWith("ClusterFileInvalid,", result.Value("ID"));
        var lines = result.Value("MESSAGE").Split("<NL>");
        foreach (var (position, fragment) in expected)
            Assert.True(lines.Any(l => position.Length == 0 ? l == fragment : l.StartsWith($"{path}:{position}: {fragment}", StringComparison.Ordinal)),
                $"expected '{position} {fragment}' in:\n{string.Join("\n", lines)}");
        Assert.True(lines.Length <= ClusterFileLimits.MaxErrors + 1, $"{lines.Length} lines listed");
        Assert.True(result.Milliseconds("MS") < HostilePwsh.ValidationLimitMs, $"validation took {result.Value("MS")} ms");
        Assert.Equal("0", result.Value("COMPLETIONS"));
        Assert.True(result.Milliseconds("COMPLETIONMS") < HostilePwsh.ValidationLimitMs, $"completion took {result.Value("COMPLETIONMS")} ms");
    }

    /// <summary>"# expect: line:column message-start" lines, in the file or in its .expect sidecar (binary files); "# expect-line: text" for a line with no position.</summary>
    private static List<(string Position, string Fragment)> Expectations(string path)
    {
        var source = File.Exists(path + ".expect") ? path + ".expect" : path;
        return File.ReadLines(source, Encoding.Latin1).Take(5)
            .Select(line => Regex.Match(line, "^# expect: ([0-9]+:[0-9]+) (.*)$") is { Success: true } m ? (m.Groups[1].Value, m.Groups[2].Value)
                : Regex.Match(line, "^# expect-line: (.*)$") is { Success: true } l ? ("", l.Groups[1].Value) : ((string, string)?)null)
            .Where(e => e is not null).Select(e => e!.Value).ToList();
    }

    /// <summary>A file one byte over the cap (kept out of the repository): refused before it is parsed.</summary>
    private static string GenerateOverSizedFile(string folder)
    {
        var path = Path.Combine(folder, Generated);
        var head = "name: hostile\nnodes:\n  - { name: node01, address: 127.0.0.1, role: control-plane, ssh: { port: 22999 } }\n# ";
        File.WriteAllText(path, head + new string('x', ClusterFileLimits.MaxBytes + 1 - head.Length));
        return path;
    }
}

/// <summary>The lines of ClusterFiles/hostile/parameters.txt, a few per pwsh process: each stopped at binding, naming the parameter.</summary>
[Trait("Category", "Hostile")]
public class HostileParameterTests(ITestOutputHelper output)
{
    private const int BatchSize = 7;

    public static IEnumerable<(string Parameter, string Command)> Cases() =>
        File.ReadLines(Path.Combine(HostilePwsh.CorpusFolder, "parameters.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(line => (line.Substring(0, line.IndexOf(" <= ", StringComparison.Ordinal)), line.Substring(line.IndexOf(" <= ", StringComparison.Ordinal) + 4)));

    public static TheoryData<int> Batches()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i * BatchSize < Cases().Count(); i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void ABadValueStopsAtBindingNamingTheParameter(int batch)
    {
        var cases = Cases().Skip(batch * BatchSize).Take(BatchSize).ToList();
        using var run = new HostilePwsh();
        var results = run.Run(cases.Select(c => $$"""
            $here = '{{HostilePwsh.CorpusFolder}}'
            $node = New-PiNode node01 127.0.0.1 -Port 22999
            $watch = [Diagnostics.Stopwatch]::StartNew()
            try { {{c.Command}} | Out-Null; 'RESULT:no error' }
            catch { 'ID:' + $_.FullyQualifiedErrorId; 'MESSAGE:' + ($_.Exception.Message -replace "`r?`n", '<NL>') }
            'MS:' + $watch.ElapsedMilliseconds
            """).ToList());
        for (var i = 0; i < cases.Count; i++)
            output.WriteLine($"-{cases[i].Parameter}: refused in {results[i].Value("MS")} ms: {cases[i].Command}");
        HostilePwsh.AssertAll(cases.Select((c, i) => (c.Command, (Action)(() =>
        {
            Assert.Matches("^ParameterArgument(Validation|Transformation)Error,", results[i].Value("ID"));
            Assert.Contains($"parameter '{c.Parameter}'", results[i].Value("MESSAGE"));
            Assert.True(results[i].Milliseconds("MS") < HostilePwsh.ValidationLimitMs, $"took {results[i].Value("MS")} ms");
        }))));
    }

    [Fact]
    public void TheCorpusHoldsAtLeastThirtyHostileFilesAndThirtyParameterValuesAndFields()
    {
        Assert.True(HostileClusterFileTests.Yaml("structure").Count() + HostileClusterFileTests.Yaml("injections").Count() >= 30);
        Assert.True(Cases().Count() >= 20);
    }
}

/// <summary>One bounded pwsh process with the module imported and a recording fake ssh first on its PATH.</summary>
public sealed class HostilePwsh : IDisposable
{
    /// <summary>
    /// The time a process with one case may take, start and module import included: a bound against hangs (an alias
    /// bomb took minutes before the bounds), generous because CI runs these beside the lab's emulated VMs, where a
    /// pwsh start alone was seen taking 20 s. How fast a case fails is <see cref="ValidationLimitMs"/>, timed inside.
    /// </summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(120);

    /// <summary>What each further case of a batch adds to <see cref="TimeLimit"/>.</summary>
    private static readonly TimeSpan TimePerExtraCase = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The bound on one hostile input inside a warmed-up process. The inputs take milliseconds (ClusterFileLimitsTests
    /// holds them to a second in process); this is room for a shared machine under heavy load, and still far below
    /// what the bombs cost before the bounds (a minute and more, or a crash).
    /// </summary>
    public const long ValidationLimitMs = 5000;

    /// <summary>The GC heap a run may use, enforced by the runtime.</summary>
    private const long HeapLimit = 512L * 1024 * 1024;

    /// <summary>The most memory a run may have held (module loaded, file refused).</summary>
    private const long PeakLimit = 600L * 1024 * 1024;

    public static string CorpusFolder { get; } = Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "hostile");

    public HostilePwsh() => Directory.CreateDirectory(Path.Combine(ScratchFolder, "bin"));

    /// <summary>A scratch folder for this run: the fake ssh, its log, the script.</summary>
    public string ScratchFolder { get; } = Directory.CreateTempSubdirectory("picluster-hostile-").FullName;

    public void Dispose() => Directory.Delete(ScratchFolder, recursive: true);

    /// <summary>Runs the case scripts one after the other in one pwsh process; each case's "KEY:value" lines are its result.</summary>
    public IReadOnlyList<Result> Run(IReadOnlyList<string> cases)
    {
        var sshLog = Path.Combine(ScratchFolder, "ssh-calls.log");
        var fakeSsh = Path.Combine(ScratchFolder, "bin", "ssh");
        File.WriteAllText(fakeSsh, $"#!/bin/sh\necho \"$*\" >> '{sshLog}'\nexit 255\n");
        if (!OperatingSystem.IsWindows()) // the corpus runs where PiCluster runs ssh: Linux and macOS
            File.SetUnixFileMode(fakeSsh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = new StringBuilder($$"""
            $ErrorActionPreference = 'Stop'
            Import-Module '{{ModulePaths.Manifest}}'
            # Warm up every path the cases take, so that the timings below are the hostile input's, not the first call's JIT.
            $valid = '{{Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "valid", "minimal.yaml")}}'
            Get-PiNode -Path $valid | Out-Null
            try { Test-PiNode -Path '{{Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "invalid", "invalid-node-name.yaml")}}' } catch { }
            $null = TabExpansion2 -inputScript "Get-PiNode -Path '$valid' -Name " -cursorColumn ("Get-PiNode -Path '$valid' -Name ".Length)
            try { New-PiNode 'Bad_Name' 127.0.0.1 } catch { }
            try { "Name,Address`nBad_Name,127.0.0.1" | ConvertFrom-Csv | Test-PiNode } catch { }

            """);
        for (var i = 0; i < cases.Count; i++)
            script.Append($"'CASE:{i}'\n& {{\n{cases[i]}\n}}\n");
        script.Append("'CASE:end'\n'PEAK:' + [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64\n");
        var scriptPath = Path.Combine(ScratchFolder, "run.ps1");
        File.WriteAllText(scriptPath, script.ToString());

        var (fileName, prefix) = Pwsh();
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ModulePaths.RepoRoot };
        foreach (var arg in prefix.Concat(new[] { "-NoProfile", "-NonInteractive", "-File", scriptPath }))
            start.ArgumentList.Add(arg);
        start.Environment["PATH"] = Path.Combine(ScratchFolder, "bin") + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimit.ToString("x");
        start.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        start.Environment["POWERSHELL_UPDATECHECK"] = "Off";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = TimeLimit + TimePerExtraCase * (cases.Count - 1);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"pwsh did not finish within {limit.TotalSeconds} s");
        }
        process.WaitForExit();
        var output = stdout.Result;
        Assert.True(process.ExitCode == 0, $"pwsh exited with {process.ExitCode}:\n{output}\n{stderr.Result}");
        Assert.False(File.Exists(sshLog), "ssh was started: " + (File.Exists(sshLog) ? File.ReadAllText(sshLog) : ""));
        var sections = Regex.Split(output, "^CASE:", RegexOptions.Multiline).Skip(1).ToList();
        Assert.True(sections.Count == cases.Count + 1, $"not every case ran:\n{output}\n{stderr.Result}");
        var peak = new Result(sections[^1]).Value("PEAK");
        Assert.True(long.Parse(peak) < PeakLimit, $"peak working set {peak} bytes");
        return sections.Take(cases.Count).Select(text => new Result(text)).ToList();
    }

    /// <summary>Checks every case and reports all that fail, not just the first.</summary>
    public static void AssertAll(IEnumerable<(string Name, Action Check)> cases)
    {
        var failures = new List<string>();
        foreach (var (name, check) in cases)
        {
            try { check(); }
            catch (Exception e) when (e is Xunit.Sdk.XunitException) { failures.Add($"{name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>The pwsh of the repository's tool manifest: its dll straight from the NuGet cache (fast), else `dotnet tool run pwsh`.</summary>
    private static (string FileName, string[] Prefix) Pwsh()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModulePaths.RepoRoot, ".config", "dotnet-tools.json")));
        var version = manifest.RootElement.GetProperty("tools").GetProperty("powershell").GetProperty("version").GetString()!;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var tools = Path.Combine(packages, "powershell", version, "tools");
        var dll = Directory.Exists(tools) ? Directory.GetFiles(tools, "pwsh.dll", SearchOption.AllDirectories).FirstOrDefault(f => f.Contains("unix")) : null;
        return dll is not null ? ("dotnet", new[] { dll }) : ("dotnet", new[] { "tool", "run", "pwsh", "--" });
    }

    /// <summary>One case's output: its "KEY:value" lines.</summary>
    public sealed record Result(string Output)
    {
        public string Value(string key) =>
            Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal))?.Substring(key.Length + 1)
            ?? throw new Xunit.Sdk.XunitException($"no {key}: in the output of this case:\n{Output}");

        public long Milliseconds(string key) => long.Parse(Value(key));
    }
}

using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Xunit;

namespace PiCluster.Tests.Conventions;

/// <summary>What makes PiCluster a proper PowerShell module, checked over the built PiCluster.dll.</summary>
public class CmdletConventionTests
{
    public static TheoryData<string> CmdletNames => new(ModuleSurface.Cmdlets.Select(c => c.Name));

    private static ModuleSurface.Cmdlet Get(string name) => ModuleSurface.Cmdlets.Single(c => c.Name == name);

    /// <summary>
    /// Cmdlets that change nothing, so they need no -WhatIf: every Get and Test cmdlet (they read nodes or files) and
    /// the New cmdlets that only build an in-memory object. Everything else changes nodes or files: SupportsShouldProcess.
    /// </summary>
    private static readonly string[] InMemoryConstructors = { "New-PiNode" };

    [Fact]
    public void TheModuleHasCmdlets() => Assert.NotEmpty(ModuleSurface.Cmdlets);

    [Fact]
    public void TheApprovedVerbListIsReadFromPowerShell()
    {
        Assert.Contains("Get", ModuleSurface.ApprovedVerbs);
        Assert.Contains("Install", ModuleSurface.ApprovedVerbs);
        Assert.DoesNotContain("Provision", ModuleSurface.ApprovedVerbs);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void UsesAnApprovedVerbAndAPiNoun(string name)
    {
        var cmdlet = Get(name);
        Assert.Contains(cmdlet.Verb, ModuleSurface.ApprovedVerbs);
        Assert.StartsWith("Pi", cmdlet.Noun, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void DeclaresItsOutputType(string name) => Assert.NotEmpty(Get(name).OutputTypes);

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void SupportsShouldProcessUnlessItChangesNothing(string name)
    {
        var cmdlet = Get(name);
        var readOnly = cmdlet.Verb is "Get" or "Test" || InMemoryConstructors.Contains(name);
        Assert.True(readOnly || cmdlet.SupportsShouldProcess, $"{name} changes state, so it must declare SupportsShouldProcess = true.");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void IsASealedClassNamedVerbNounCommandInItsOwnFile(string name)
    {
        var cmdlet = Get(name);
        Assert.True(cmdlet.Type.IsSealed, $"{cmdlet.Type.Name} must be sealed.");
        Assert.Equal(name.Replace("-", "") + "Command", cmdlet.Type.Name);
        Assert.Equal("PiCluster.Commands", cmdlet.Type.Namespace);

        var file = Path.Combine(ModulePaths.RepoRoot, "src", "PiCluster", "Commands", cmdlet.Type.Name + ".cs");
        Assert.True(File.Exists(file), $"{cmdlet.Type.Name} must live in src/PiCluster/Commands/{cmdlet.Type.Name}.cs");
        var declaredClasses = Regex.Matches(File.ReadAllText(file), @"\bclass\s+(\w+)").Select(m => m.Groups[1].Value);
        Assert.Equal(new[] { cmdlet.Type.Name }, declaredClasses);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void NodeCmdletsDefaultToTheNodeParameterSet(string name)
    {
        // Without a default, "Test-PiNode -ThrottleLimit 2" cannot resolve a parameter set instead of prompting for -Node.
        var cmdlet = Get(name);
        if (!typeof(PiCluster.Commands.PiNodeCommandBase).IsAssignableFrom(cmdlet.Type)) return;
        Assert.True(cmdlet.DefaultParameterSetName == "Node", $"{name}: add DefaultParameterSetName = \"Node\" to its [Cmdlet].");
    }

    [Fact]
    public void ManifestExportsExactlyTheCmdletClasses() =>
        Assert.Equal(ModuleSurface.Cmdlets.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal),
            ModuleSurface.ManifestCmdlets().OrderBy(n => n, StringComparer.Ordinal));

    [Fact]
    public void ManifestPointsAtTheBuiltLayout()
    {
        Assert.Equal("bin/PiCluster.dll", ModuleSurface.ManifestValue("RootModule"));
        Assert.True(File.Exists(Path.Combine(ModulePaths.Bin, "PiCluster.dll")));
        Assert.True(File.Exists(ModulePaths.FormatFile));
        Assert.True(File.Exists(Path.Combine(ModulePaths.Dependencies, "PiCluster.Core.dll")));
        Assert.True(File.Exists(Path.Combine(ModulePaths.Dependencies, "YamlDotNet.dll")));
        // Next to PiCluster.dll the default load context would find them itself, defeating the isolation.
        Assert.False(File.Exists(Path.Combine(ModulePaths.Bin, "PiCluster.Core.dll")));
        Assert.False(File.Exists(Path.Combine(ModulePaths.Bin, "YamlDotNet.dll")));
    }

    [Fact]
    public void AssembliesCarryTheManifestVersion()
    {
        var version = Version.Parse(ModuleSurface.ManifestValue("ModuleVersion"));
        foreach (var dll in new[] { Path.Combine(ModulePaths.Bin, "PiCluster.dll"), Path.Combine(ModulePaths.Dependencies, "PiCluster.Core.dll") })
        {
            var built = AssemblyName.GetAssemblyName(dll).Version!;
            Assert.Equal((version.Major, version.Minor, Math.Max(version.Build, 0)), (built.Major, built.Minor, built.Build));
        }
    }

    [Fact]
    public void TheSurfaceExposesNoYamlDotNetTypes()
    {
        // Another module's YamlDotNet must never meet ours: none of our public shapes may mention it.
        var seen = new System.Collections.Generic.HashSet<Type>();
        void Visit(Type type, string path)
        {
            if (type.IsGenericType) foreach (var arg in type.GetGenericArguments()) Visit(arg, path);
            if (type.HasElementType) Visit(type.GetElementType()!, path);
            Assert.False(type.Assembly.GetName().Name == "YamlDotNet", $"{path} exposes {type.FullName}");
            if (!type.Namespace?.StartsWith("PiCluster", StringComparison.Ordinal) ?? true) return;
            if (!seen.Add(type)) return;
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)) Visit(p.PropertyType, $"{path}.{p.Name}");
        }
        foreach (var cmdlet in ModuleSurface.Cmdlets)
        {
            foreach (var t in cmdlet.OutputTypes) Visit(t, cmdlet.Name + " output");
            foreach (var p in cmdlet.Parameters) Visit(p.PropertyType, cmdlet.Name + " -" + p.Name);
        }
        foreach (var type in ModuleSurface.ModuleAssembly.GetExportedTypes()) Visit(type, type.Name);
    }
}

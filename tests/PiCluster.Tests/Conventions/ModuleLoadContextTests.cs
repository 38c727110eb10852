using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using PiCluster.Engine;
using PiCluster.Loading;
using Xunit;

namespace PiCluster.Tests.Conventions;

/// <summary>
/// The test host plays the PowerShell process: its default context already holds PiCluster.Core and YamlDotNet (the
/// test project references them), just as another module's YamlDotNet would be. The module's context must still
/// load its own copies from bin/Dependencies.
/// </summary>
public class ModuleLoadContextTests
{
    private static readonly ModuleLoadContext Context = new(ModulePaths.Dependencies);

    [Fact]
    public void DefaultContextAsksForCoreAndGetsTheModulesOwnCopy()
    {
        var defaultCore = typeof(PiNode).Assembly;
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(defaultCore));

        var core = Context.ResolveEngine(AssemblyLoadContext.Default, new AssemblyName("PiCluster.Core"));

        Assert.NotNull(core);
        Assert.Same(Context, AssemblyLoadContext.GetLoadContext(core));
        Assert.NotSame(defaultCore, core);
        Assert.Equal(Path.Combine(ModulePaths.Dependencies, "PiCluster.Core.dll"), core!.Location);
    }

    [Fact]
    public void CoresYamlDotNetLoadsInTheModuleContextNotFromTheDefaultOne()
    {
        var defaultYaml = typeof(YamlDotNet.Serialization.Deserializer).Assembly;
        var core = Context.ResolveEngine(AssemblyLoadContext.Default, new AssemblyName("PiCluster.Core"))!;
        var yamlReference = core.GetReferencedAssemblies().SingleOrDefault(a => a.Name == "YamlDotNet") ?? new AssemblyName("YamlDotNet");

        // What the runtime does when Core's code first touches YamlDotNet: ask Core's context.
        var yaml = AssemblyLoadContext.GetLoadContext(core)!.LoadFromAssemblyName(yamlReference);

        Assert.Same(Context, AssemblyLoadContext.GetLoadContext(yaml));
        Assert.NotSame(defaultYaml, yaml);
        Assert.Equal(Path.Combine(ModulePaths.Dependencies, "YamlDotNet.dll"), yaml.Location);
    }

    [Fact]
    public void CoreReadsAClusterFileWithTheModulesOwnYamlDotNet()
    {
        var core = Context.ResolveEngine(AssemblyLoadContext.Default, new AssemblyName("PiCluster.Core"))!;
        var parse = core.GetType("PiCluster.Clusters.ClusterFileLoader", throwOnError: true)!.GetMethod("Parse")!;

        var cluster = parse.Invoke(null, new object[] { "name: c\nnodes:\n  - name: n1\n    address: 127.0.0.1\n    role: control-plane\n", "c.yaml" })!;

        // The result is the isolated Core's type, not the one the default context knows.
        Assert.NotEqual(typeof(PiCluster.Clusters.ClusterDefinition), cluster.GetType());
        Assert.Equal("PiCluster.Clusters.ClusterDefinition", cluster.GetType().FullName);
        var yaml = Context.Assemblies.Single(a => a.GetName().Name == "YamlDotNet");
        Assert.NotSame(typeof(YamlDotNet.Serialization.Deserializer).Assembly, yaml);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.Location == yaml.Location);
    }

    [Fact]
    public void CoresSshNetLoadsInTheModuleContextFromDependenciesOnly()
    {
        // The test host's default context holds Renci.SshNet too (through the test project's Core), as another
        // module's (e.g. Posh-SSH's) would be in a PowerShell session.
        var defaultSshNet = typeof(Renci.SshNet.SshClient).Assembly;
        var core = Context.ResolveEngine(AssemblyLoadContext.Default, new AssemblyName("PiCluster.Core"))!;
        var reference = core.GetReferencedAssemblies().Single(a => a.Name == "Renci.SshNet");

        var sshNet = AssemblyLoadContext.GetLoadContext(core)!.LoadFromAssemblyName(reference);

        Assert.Same(Context, AssemblyLoadContext.GetLoadContext(sshNet));
        Assert.NotSame(defaultSshNet, sshNet);
        Assert.Equal(Path.Combine(ModulePaths.Dependencies, "Renci.SshNet.dll"), sshNet.Location);
        Assert.Equal(2026, sshNet.GetName().Version!.Major);
        // Its own dependencies come from bin/Dependencies as well, and nothing of SSH.NET sits next to PiCluster.dll,
        // where PowerShell's default context could pick it up.
        foreach (var dependency in new[] { "Renci.SshNet", "BouncyCastle.Cryptography" })
        {
            Assert.True(File.Exists(Path.Combine(ModulePaths.Dependencies, dependency + ".dll")), dependency);
            Assert.False(File.Exists(Path.Combine(ModulePaths.Bin, dependency + ".dll")), dependency);
        }
        Assert.Null(Context.ResolveEngine(AssemblyLoadContext.Default, new AssemblyName("Renci.SshNet")));
    }

    [Theory]
    [InlineData("YamlDotNet")]
    [InlineData("Renci.SshNet")]
    [InlineData("System.Management.Automation")]
    [InlineData("Newtonsoft.Json")]
    public void OnlyCoreIsAnsweredForTheDefaultContext(string name) =>
        Assert.Null(Context.ResolveEngine(AssemblyLoadContext.Default, new AssemblyName(name)));

    [Fact]
    public void FrameworkAssembliesFallBackToTheDefaultContext()
    {
        var runtime = Context.LoadFromAssemblyName(new AssemblyName("System.Runtime"));
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(runtime));
    }

    [Fact]
    public void InitializerLooksForDependenciesNextToTheModuleAssembly()
    {
        var moduleDll = Path.Combine(ModulePaths.Bin, "PiCluster.dll");
        Assert.True(File.Exists(moduleDll), "dotnet build lays out bin/PiCluster.dll");
        Assert.Equal(Path.Combine(ModulePaths.Bin, "Dependencies"),
            Path.Combine(Path.GetDirectoryName(moduleDll)!, "Dependencies"));
        Assert.Equal(Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies"),
            ModuleLoadContext.DependencyDirectoryOf(typeof(ModuleInitializer).Assembly));
    }
}

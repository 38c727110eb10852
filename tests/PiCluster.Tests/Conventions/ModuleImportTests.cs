using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using Xunit;

namespace PiCluster.Tests.Conventions;

/// <summary>
/// Import-Module reads PiCluster.dll's public types before it calls the module initializer, that is, before the
/// module's load context can answer for PiCluster.Core. These tests load the built PiCluster.dll the same way, in a
/// context that cannot find PiCluster.Core or YamlDotNet (as PowerShell's default context cannot: they are not next to
/// PiCluster.dll), so anything in a public type that needs Core to load fails here as it would in pwsh.
/// </summary>
public class ModuleImportTests
{
    /// <summary>A stand-in for PowerShell's default context before the initializer ran.</summary>
    private sealed class BeforeInitializerContext : AssemblyLoadContext
    {
        public BeforeInitializerContext() : base("before-initializer", isCollectible: true) { }

        protected override Assembly? Load(AssemblyName name) => name.Name switch
        {
            "PiCluster" => LoadFromAssemblyPath(Path.Combine(ModulePaths.Bin, "PiCluster.dll")),
            // The test process's default context has these (the tests reference them); PowerShell's has not.
            "PiCluster.Core" or "YamlDotNet" => throw new FileNotFoundException(
                $"Could not load file or assembly '{name}': PowerShell's default context cannot see bin/Dependencies."),
            _ => null,
        };
    }

    private static void WithModuleAssembly(Action<Assembly> use)
    {
        var context = new BeforeInitializerContext();
        try { use(context.LoadFromAssemblyName(new AssemblyName("PiCluster"))); }
        finally { context.Unload(); }
    }

    [Fact]
    public void PublicTypesLoadWithoutCore() => WithModuleAssembly(module =>
    {
        var types = module.GetExportedTypes();
        Assert.Contains(types, t => t.FullName == "PiCluster.Commands.NewPiNodeCommand");
    });

    [Fact]
    public void CmdletAttributesReadWithoutCore() => WithModuleAssembly(module =>
    {
        // What PowerShell does next for each public type: is it a cmdlet, and under which name.
        var cmdlets = module.GetExportedTypes()
            .Where(t => !t.IsAbstract && typeof(Cmdlet).IsAssignableFrom(t))
            .Select(t => t.GetCustomAttributes(typeof(CmdletAttribute), inherit: false).Single().GetType() == typeof(CmdletAttribute)
                ? t.CustomAttributes.Single(a => a.AttributeType == typeof(CmdletAttribute)).ConstructorArguments
                : throw new InvalidOperationException(t.FullName))
            .Select(args => $"{args[0].Value}-{args[1].Value}")
            .ToList();
        Assert.Equal(ModuleSurface.ManifestCmdlets().OrderBy(n => n, StringComparer.Ordinal), cmdlets.OrderBy(n => n, StringComparer.Ordinal));
    });

    [Fact]
    public void TheInitializerTypeLoadsWithoutCore() => WithModuleAssembly(module =>
    {
        var initializer = module.GetType("PiCluster.Loading.ModuleInitializer", throwOnError: true)!;
        Assert.Contains(initializer.GetInterfaces(), i => i.Name == nameof(IModuleAssemblyInitializer));
    });
}

/// <summary>The string parameters that stand for Core enums (see Hosting/CoreEnum) offer exactly the enum's values.</summary>
public class CoreEnumParameterTests
{
    [Theory]
    [InlineData(typeof(PiCluster.Commands.NewPiNodeCommand), "Role", typeof(PiCluster.Engine.NodeRole))]
    [InlineData(typeof(PiCluster.Commands.InstallPiContainerRuntimeCommand), "Runtime", typeof(PiCluster.Steps.Runtime.ContainerRuntime))]
    public void ValidateSetListsEveryValueOfTheEnum(Type cmdlet, string parameter, Type coreEnum) =>
        Assert.Equal(Enum.GetNames(coreEnum), ValidValues(cmdlet, parameter));

    [Theory]
    [InlineData(typeof(PiCluster.Commands.SetPiKernelNetworkingCommand))]
    [InlineData(typeof(PiCluster.Commands.InitializePiNodeCommand))]
    public void IptablesBackendOffersTheBackendsOneCanSwitchTo(Type cmdlet)
    {
        // None and Unknown are facts a node reports, not a backend to switch to.
        var values = ValidValues(cmdlet, "IptablesBackend");
        Assert.Equal(new[] { "Legacy", "Nft" }, values);
        Assert.All(values, v => Assert.True(Enum.IsDefined(typeof(PiCluster.Steps.NodePrep.IptablesBackend), v)));
    }

    // Read from the attribute's metadata: the tests run against PowerShell's reference assembly, whose members are stubs.
    private static string[] ValidValues(Type cmdlet, string parameter) =>
        cmdlet.GetProperty(parameter)!.CustomAttributes.Single(a => a.AttributeType == typeof(ValidateSetAttribute))
            .ConstructorArguments.Single().Value is System.Collections.ObjectModel.ReadOnlyCollection<CustomAttributeTypedArgument> values
            ? values.Select(v => (string)v.Value!).ToArray()
            : Array.Empty<string>();
}

using System.Management.Automation;
using System.Runtime.Loader;

namespace PiCluster.Loading;

/// <summary>
/// Runs on Import-Module / Remove-Module: routes the load of PiCluster.Core into the module's own
/// <see cref="ModuleLoadContext"/> (the pattern from "Resolving PowerShell module assembly dependency conflicts").
/// This type must not touch any PiCluster.Core type, or the runtime would try to load Core before the handler exists.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly ModuleLoadContext Context =
        new(ModuleLoadContext.DependencyDirectoryOf(typeof(ModuleInitializer).Assembly));

    /// <summary>Registers the resolver on the default context.</summary>
    public void OnImport() => AssemblyLoadContext.Default.Resolving += Context.ResolveEngine;

    /// <summary>Unregisters the resolver; the context stays, as loaded types may still be referenced.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= Context.ResolveEngine;
}

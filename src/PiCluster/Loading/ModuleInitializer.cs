using System.Management.Automation;
using System.Runtime.Loader;
using System.Threading;

namespace PiCluster.Loading;

/// <summary>
/// Runs on Import-Module / Remove-Module: routes the load of PiCluster.Core into the module's own
/// <see cref="ModuleLoadContext"/> (the pattern from "Resolving PowerShell module assembly dependency conflicts").
/// </summary>
/// <remarks>
/// PowerShell reads PiCluster.dll's public types before it calls <see cref="OnImport"/>, so loading them must not need
/// PiCluster.Core: no public type here derives from or implements a Core type, and no field (the backing field of a
/// parameter) has a Core value type such as an enum; those parameters are strings (Hosting/CoreEnum). Method bodies
/// and reference-typed properties may use Core freely: they are resolved later. ModuleImportTests loads the module
/// assembly as PowerShell does and fails otherwise. This type must not touch Core either.
/// PowerShell can call OnImport more than once for one import, so registering is idempotent.
/// </remarks>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly ModuleLoadContext Context =
        new(ModuleLoadContext.DependencyDirectoryOf(typeof(ModuleInitializer).Assembly));

    private static int _registered;

    /// <summary>Registers the resolver on the default context (once).</summary>
    public void OnImport()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0) AssemblyLoadContext.Default.Resolving += Context.ResolveEngine;
    }

    /// <summary>Unregisters the resolver; the context stays, as loaded types may still be referenced.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (Interlocked.Exchange(ref _registered, 0) == 1) AssemblyLoadContext.Default.Resolving -= Context.ResolveEngine;
    }
}

using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace PiCluster.Loading;

/// <summary>
/// The module's own AssemblyLoadContext. PiCluster.Core and everything it references that ships in bin/Dependencies
/// (YamlDotNet) load here, so another module's YamlDotNet in the default context can neither clash with ours nor be
/// replaced by it. Anything not in bin/Dependencies (the framework, System.Management.Automation) falls back to the
/// default context.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    /// <summary>The one assembly the default context is allowed to ask us for: PiCluster.dll references it.</summary>
    internal const string EngineAssemblyName = "PiCluster.Core";

    public ModuleLoadContext(string dependencyDirectory) : base("PiCluster", isCollectible: false) =>
        DependencyDirectory = dependencyDirectory;

    /// <summary>bin/Dependencies next to PiCluster.dll.</summary>
    public string DependencyDirectory { get; }

    /// <summary>bin/Dependencies next to the given module assembly.</summary>
    public static string DependencyDirectoryOf(Assembly moduleAssembly) =>
        Path.Combine(Path.GetDirectoryName(moduleAssembly.Location) ?? ".", "Dependencies");

    /// <summary>
    /// A handler for the default context's Resolving event. The default context cannot find PiCluster.Core (it is not
    /// next to PiCluster.dll on purpose), so it asks; we answer from this context. Every other name is left alone, so
    /// other modules' resolution is not affected.
    /// </summary>
    public Assembly? ResolveEngine(AssemblyLoadContext requestingContext, AssemblyName name) =>
        string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal) ? LoadFromAssemblyName(name) : null;

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(DependencyDirectory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}

using System;
using System.Management.Automation;

namespace PiCluster.Hosting;

/// <summary>Lets -Node take results and other objects with a Node property (see <see cref="NodeArgument"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PiNodeTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        try
        {
            return NodeArgument.Extract(inputData, Unwrap, Property).ToArray();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }

    private static object? Unwrap(object? value) => value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : value;

    // PSObject-aware, so a [pscustomobject] with a Node property, or a deserialized node, works too.
    private static object? Property(object target, string name) =>
        target is PSObject pso ? Unwrap(pso.Properties[name]?.Value) : NodeArgument.ReflectedProperty(target, name);
}

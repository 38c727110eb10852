using System;
using System.Management.Automation;
using PiCluster.Engine;
using PiCluster.Hosting;
using Xunit;

namespace PiCluster.Tests.Module;

public class NodeErrorRecordsTests
{
    [Theory]
    [InlineData(NodeErrorKind.NodeUnreachable, ErrorCategory.ConnectionError)]
    [InlineData(NodeErrorKind.HostKeyUnknown, ErrorCategory.SecurityError)]
    [InlineData(NodeErrorKind.HostKeyChanged, ErrorCategory.SecurityError)]
    [InlineData(NodeErrorKind.AuthenticationFailed, ErrorCategory.AuthenticationError)]
    [InlineData(NodeErrorKind.SudoFailed, ErrorCategory.PermissionDenied)]
    [InlineData(NodeErrorKind.NodeLocked, ErrorCategory.ResourceBusy)]
    [InlineData(NodeErrorKind.StepFailed, ErrorCategory.InvalidResult)]
    [InlineData(NodeErrorKind.Timeout, ErrorCategory.OperationTimeout)]
    [InlineData(NodeErrorKind.InvalidNodeState, ErrorCategory.InvalidOperation)]
    public void EachKindHasTheDocumentedCategory(NodeErrorKind kind, ErrorCategory category) =>
        Assert.Equal(category, NodeErrorRecords.CategoryOf(kind));

    [Fact]
    public void EveryKindIsMapped()
    {
        foreach (var kind in Enum.GetValues<NodeErrorKind>())
            Assert.NotEqual(ErrorCategory.NotSpecified, NodeErrorRecords.CategoryOf(kind));
    }
}

using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using PiCluster.Tests.Transport;
using PiCluster.Transport;
using Xunit;
using Xunit.Abstractions;

namespace PiCluster.Tests.Lab;

/// <summary>A benchmark, not a timed test: the median cost of one small command per transport on the same lab node.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class TransportBenchmarkLabTests(LabFixture lab, ITestOutputHelper output)
{
    [Fact]
    public async Task Cost_of_one_small_command_per_transport()
    {
        foreach (var transport in new[] { SshTransport.OpenSsh, SshTransport.SshNet })
        {
            var connect = Stopwatch.StartNew();
            await using var s = (ITransportSession)await Transports.Connector(transport).OpenAsync(lab.Node("node5"),
                new ConnectOptions { ConnectTimeout = System.TimeSpan.FromSeconds(30) }, default);
            connect.Stop();
            var times = new List<double>();
            for (var i = 0; i < 11; i++)
            {
                var clock = Stopwatch.StartNew();
                Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            output.WriteLine($"{transport} on node5: connect {connect.Elapsed.TotalMilliseconds:0} ms, one small command median {times[times.Count / 2]:0} ms "
                + $"(min {times[0]:0}, max {times[^1]:0}), connections {s.Connections}, round trips {s.RoundTrips}");
            Assert.Equal(1, s.Connections);
        }
    }
}

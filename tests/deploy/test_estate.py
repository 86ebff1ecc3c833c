"""The AWS estate of deploy/estate/ deployed stack by stack into moto's CloudFormation (moto's server on a
loopback port), then read back through moto's EC2, ELBv2, Auto Scaling, RDS, S3, IAM, Route 53 and
CloudWatch APIs: the stacks complete, each imports only what an earlier one exports, and the resources are
as declared. Resource types moto's CloudFormation does not model are listed in UNMODELED with the reason;
the test swaps each for a placeholder value so the rest deploys, and checks their declarations from the
template instead (alarms are put through CloudWatch's own API with the stack's resolved values)."""

import ast
import base64
import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.lambdas.test_aws_flow import moto_url  # noqa: F401 - the moto server fixture
from tests.processes import ROOT

pytestmark = pytest.mark.timeout(180)

# moto answers Fn::GetAZs "" with us-east-1's zones whatever the region, so the estate goes there.
REGION = "us-east-1"
ESTATE = "strikem"
ESTATE_DIR = ROOT / "deploy" / "estate"
LAYERS = ("network", "data", "app", "edge", "observability")

UNMODELED = {
    "AWS::SecretsManager::Secret": "moto's CloudFormation has no Secrets Manager resources",
    "AWS::SecretsManager::SecretTargetAttachment": "no Secrets Manager resources in moto's CloudFormation",
    "AWS::SecretsManager::RotationSchedule": "no Secrets Manager resources, and moto runs no transforms "
    "(the hosted rotation Lambda comes from AWS::SecretsManager-2020-07-23)",
    "AWS::ElastiCache::SubnetGroup": "moto's CloudFormation has no ElastiCache resources",
    "AWS::ElastiCache::ReplicationGroup": "moto's CloudFormation has no ElastiCache resources",
    "AWS::AutoScaling::ScalingPolicy": "not modelled by moto's CloudFormation",
    "AWS::CloudWatch::Alarm": "not modelled by moto's CloudFormation (only dashboards are); the test puts each "
    "declared alarm through PutMetricAlarm with the stack's resolved values instead",
    "AWS::CloudFront::Distribution": "moto's CloudFormation has no CloudFront resources",
    "AWS::CloudFront::OriginAccessControl": "moto's CloudFormation has no CloudFront resources",
    "AWS::S3::BucketPolicy": "not modelled by moto's CloudFormation",
    "AWS::WAFv2::WebACL": "moto's CloudFormation has no WAF resources",
    "AWS::WAFv2::WebACLAssociation": "moto's CloudFormation has no WAF resources",
    "AWS::WAFv2::LoggingConfiguration": "moto's CloudFormation has no WAF resources",
    "AWS::SNS::Subscription": "not modelled by moto's CloudFormation",
    "AWS::CodeBuild::Project": "moto's CloudFormation has no CodeBuild resources",
    "AWS::CodeDeploy::Application": "moto's CloudFormation has no CodeDeploy resources",
    "AWS::CodeDeploy::DeploymentGroup": "moto's CloudFormation has no CodeDeploy resources",
    "AWS::CodePipeline::Pipeline": "moto's CloudFormation has no CodePipeline resources",
}
# Attributes moto's models do not answer for Fn::GetAtt, with the same placeholder treatment.
UNMODELED_ATTRIBUTES = {
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupFullName"): "moto's target group answers no GetAtt",
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName"): "not implemented in moto's ALB model",
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "CanonicalHostedZoneID"): "not implemented in moto's ALB model",
}
# Properties moto accepts and ignores, checked from the template instead.
IGNORED_PROPERTIES = {
    "AWS::EC2::SecurityGroup.SecurityGroupEgress": "moto keeps every group's default allow-all egress",
    "AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerAttributes": "moto keeps the default attributes",
    "AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupAttributes": "moto keeps the default attributes",
    "AWS::AutoScaling::AutoScalingGroup.UpdatePolicy": "moto runs no rolling updates",
    "AWS::RDS::DBInstance.DeletionProtection, VPCSecurityGroups, MaxAllocatedStorage, MonitoringInterval, "
    "EnablePerformanceInsights, EnableCloudwatchLogsExports": "moto's RDS model reads none of them from a template",
    "AWS::S3::Bucket.PublicAccessBlockConfiguration": "moto applies a template's bucket encryption, not this",
}
# Where moto goes wrong on something it models, the test leaves the property out and checks it otherwise.
QUIRKS = {
    "AWS::RDS::DBInstance.DBParameterGroupName": "moto passes the group's model object, not its name, to the "
    "instance and fails; the instance keeps the default group, and the test reads the group itself",
    "AWS::EC2::SubnetRouteTableAssociation": "moto records it beside the route table, so DescribeRouteTables "
    "shows no association; the test follows the template's associations to each route table moto holds",
}
# lambdas/template.yaml is a SAM template: moto cannot run the Serverless transform, so its estate
# wiring (alarms on the alerts topic) is checked from the template.


class _Template(yaml.SafeLoader):
    """CloudFormation YAML with its short-form tags, read into the long (JSON) form."""


def _intrinsic(tag: str):
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _tag in ("Ref", "GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Select", "Split", "Join", "ImportValue",
             "GetAZs", "Base64", "FindInMap"):  # fmt: skip
    _Template.add_constructor(f"!{_tag}", _intrinsic(_tag))


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Template)


def layer(name: str) -> dict[str, Any]:
    return load(ESTATE_DIR / f"{name}.yaml")


def _placeholder(resource_type: str, logical_id: str, attribute: str | None = None) -> str:
    """What a resource moto cannot create stands for: an ARN where policies expect one."""
    if resource_type == "AWS::SecretsManager::Secret" and attribute is None:
        return f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{logical_id}-standin"
    return f"standin-{logical_id}" + (f"-{attribute.replace('.', '-')}" if attribute else "")


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """The template with UNMODELED resources left out and their references replaced by placeholders."""
    template = copy.deepcopy(template)
    template.pop("Transform", None)
    resources = template["Resources"]
    types = {name: body["Type"] for name, body in resources.items()}
    gone = {name for name, kind in types.items() if kind in UNMODELED}

    def unresolvable(name: str, attribute: str | None) -> bool:
        return name in gone or (name in types and (types[name], attribute) in UNMODELED_ATTRIBUTES)

    def substitute(text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name, _, attribute = match[1].partition(".")
            if unresolvable(name, attribute or None):
                return _placeholder(types[name], name, attribute or None)
            return match[0]

        return re.sub(r"\$\{([A-Za-z0-9.]+)\}", replace, text)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and unresolvable(node["Ref"], None):
            return _placeholder(types[node["Ref"]], node["Ref"])
        if set(node) == {"Fn::GetAtt"} and unresolvable(node["Fn::GetAtt"][0], node["Fn::GetAtt"][1]):
            return _placeholder(types[node["Fn::GetAtt"][0]], *node["Fn::GetAtt"])
        if set(node) == {"Fn::Sub"}:
            body = node["Fn::Sub"]
            if isinstance(body, str):
                return {"Fn::Sub": substitute(body)}
            return {"Fn::Sub": [substitute(body[0]), walk(body[1])]}
        return {key: walk(value) for key, value in node.items()}

    for name in gone:
        del resources[name]
    for body in resources.values():
        if body["Type"] == "AWS::RDS::DBInstance":
            body["Properties"].pop("DBParameterGroupName", None)
    for body in resources.values():
        depends = body.get("DependsOn")
        if depends:
            kept = [item for item in ([depends] if isinstance(depends, str) else depends) if item not in gone]
            if kept:
                body["DependsOn"] = kept
            else:
                del body["DependsOn"]
    template["Resources"] = walk(resources)
    template["Outputs"] = walk(template.get("Outputs", {}))
    return template


def imports_of(template: dict[str, Any], parameters: dict[str, str]) -> set[str]:
    """Export names a template imports (all are "${EstateName}:..." here)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "Fn::ImportValue" in node:
                name = node["Fn::ImportValue"]["Fn::Sub"]
                found.add(name.replace("${EstateName}", parameters["EstateName"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template)
    return found


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


class Estate:
    """boto3 clients on moto, and what the deployment left: each stack's parameters, outputs, resources."""

    def __init__(self, url: str) -> None:
        self.session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        self.url = url
        self.parameters: dict[str, dict[str, str]] = {}
        self.outputs: dict[str, dict[str, str]] = {}

    def client(self, name: str) -> Any:
        return self.session.client(name, endpoint_url=self.url)

    def deploy(self, stack: str, template: dict[str, Any], parameters: dict[str, str]) -> None:
        cloudformation = self.client("cloudformation")
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=json.dumps(for_moto(template)),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        description = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        if description["StackStatus"] != "CREATE_COMPLETE":
            events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
            reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in events]
            raise AssertionError(f"{stack} is {description['StackStatus']}: {reasons}")
        self.parameters[stack] = parameters
        self.outputs[stack] = {item["OutputKey"]: item["OutputValue"] for item in description.get("Outputs", [])}

    def physical_id(self, stack: str, logical_id: str) -> str:
        answer = self.client("cloudformation").describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
        return answer["StackResourceDetail"]["PhysicalResourceId"]

    def exports(self) -> dict[str, str]:
        return {item["Name"]: item["Value"] for item in self.client("cloudformation").list_exports()["Exports"]}


@pytest.fixture(scope="module")
def estate(moto_url) -> Estate:  # noqa: F811
    estate = Estate(moto_url)
    certificate = estate.client("acm").request_certificate(DomainName="strikem.example.com")["CertificateArn"]
    zone = estate.client("route53").create_hosted_zone(Name="example.com", CallerReference="estate-test")
    stacks = {
        "network": {"EstateName": ESTATE},
        "data": {"EstateName": ESTATE, "ReadReplica": "enabled"},
        "app": {
            "EstateName": ESTATE,
            "DomainName": "strikem.example.com",
            "CertificateArn": certificate,
            "FcmPlatformApplication": "GCM/strikem-fcm",
            "ApnsPlatformApplication": "APNS/strikem-apns",
        },
        "edge": {"EstateName": ESTATE, "HostedZoneId": zone["HostedZone"]["Id"].split("/")[-1]},
        "observability": {"EstateName": ESTATE},
    }
    for name, parameters in stacks.items():
        estate.deploy(f"{ESTATE}-{name}", layer(name), parameters)
    estate.deploy("strikem-pipeline", load(ROOT / "deploy" / "pipeline.yaml"), {
        "EstateName": ESTATE, "ConnectionArn": "arn:aws:codestar-connections:us-east-1:123456789012:connection/x",
        "RepositoryId": "strikem/strikem",
    })  # fmt: skip
    return estate


def test_every_stack_completes_and_imports_only_what_an_earlier_one_exports(estate):
    exports = estate.exports()
    exported_so_far: set[str] = set()
    for name in LAYERS:
        stack = f"{ESTATE}-{name}"
        template = layer(name)
        needed = imports_of(template, estate.parameters[stack])
        assert needed <= exported_so_far, f"{name} imports {needed - exported_so_far} that no earlier stack exports"
        declared = {
            output["Export"]["Name"]["Fn::Sub"].replace("${EstateName}", ESTATE)
            for output in template.get("Outputs", {}).values()
            if "Export" in output and "Condition" not in output
        }
        assert declared <= set(exports), f"{name} exports {declared - set(exports)} missing in moto"
        exported_so_far |= declared
    pipeline_imports = imports_of(load(ROOT / "deploy" / "pipeline.yaml"), {"EstateName": ESTATE})
    lambda_imports = imports_of(load(ROOT / "lambdas" / "template.yaml"), {"EstateName": ESTATE})
    assert pipeline_imports and lambda_imports
    assert pipeline_imports | lambda_imports <= exported_so_far
    # The values are the real resources, not placeholders.
    vpc_id = exports[f"{ESTATE}:VpcId"]
    assert estate.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"] == exports[f"{ESTATE}:VpcCidr"]


def _subnets_by_tier(estate: Estate) -> dict[str, list[dict[str, Any]]]:
    vpc_id = estate.exports()[f"{ESTATE}:VpcId"]
    subnets = estate.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    tiers: dict[str, list[dict[str, Any]]] = {}
    for subnet in subnets:
        tags = {tag["Key"]: tag["Value"] for tag in subnet.get("Tags", [])}
        tiers.setdefault(tags.get("tier", "untagged"), []).append(subnet)
    return tiers


def test_each_tier_has_one_subnet_in_each_of_three_zones_and_data_has_no_way_out(estate):
    tiers = _subnets_by_tier(estate)
    assert set(tiers) == {"public", "app", "data"}
    for tier, subnets in tiers.items():
        assert len({subnet["AvailabilityZone"] for subnet in subnets}) == 3 == len(subnets), tier
        assert not any(subnet["MapPublicIpOnLaunch"] for subnet in subnets), tier
    exports = estate.exports()
    for tier, export in (("public", "PublicSubnetIds"), ("app", "AppSubnetIds"), ("data", "DataSubnetIds")):
        assert sorted(exports[f"{ESTATE}:{export}"].split(",")) == sorted(s["SubnetId"] for s in tiers[tier])

    ec2 = estate.client("ec2")
    stack = f"{ESTATE}-network"
    associations = resources_of_type(layer("network"), "AWS::EC2::SubnetRouteTableAssociation").values()
    table_of = {  # QUIRKS: subnet id -> route table id, through the template's associations
        estate.physical_id(stack, item["Properties"]["SubnetId"]["Ref"]): estate.physical_id(
            stack, item["Properties"]["RouteTableId"]["Ref"]
        )
        for item in associations
    }

    def default_route(subnet_id: str) -> dict[str, Any] | None:
        tables = ec2.describe_route_tables(RouteTableIds=[table_of[subnet_id]])
        routes = tables["RouteTables"][0]["Routes"]
        return next((route for route in routes if route.get("DestinationCidrBlock") == "0.0.0.0/0"), None)

    for subnet in tiers["public"]:
        assert default_route(subnet["SubnetId"])["GatewayId"].startswith("igw-")
    nat_zones = set()
    for subnet in tiers["app"]:
        nat_id = default_route(subnet["SubnetId"])["NatGatewayId"]
        nat = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
        nat_zones.add(next(s["AvailabilityZone"] for s in tiers["public"] if s["SubnetId"] == nat["SubnetId"]))
        assert nat_zones
    assert len(nat_zones) == 3, "one NAT gateway per zone by default"
    for subnet in tiers["data"]:
        assert default_route(subnet["SubnetId"]) is None

    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [exports[f"{ESTATE}:VpcId"]]}])
    services = {endpoint["ServiceName"].rsplit(".", 1)[1] for endpoint in endpoints["VpcEndpoints"]}
    assert {"s3", "secretsmanager", "ssm", "ssmmessages", "ec2messages"} <= services
    flow_logs = ec2.describe_flow_logs()["FlowLogs"]
    assert any(log["ResourceId"] == exports[f"{ESTATE}:VpcId"] for log in flow_logs)


def test_security_groups_let_each_tier_reach_only_the_next(estate):
    exports = estate.exports()
    group = {tier: exports[f"{ESTATE}:{tier}SecurityGroupId"] for tier in
             ("LoadBalancer", "App", "Database", "Cache", "Lambda")}  # fmt: skip
    described = estate.client("ec2").describe_security_groups(GroupIds=list(group.values()))["SecurityGroups"]
    ingress = {}
    for item in described:
        rules = set()
        for permission in item["IpPermissions"]:
            for source in permission.get("UserIdGroupPairs", []):
                rules.add((permission["FromPort"], source["GroupId"]))
            for source in permission.get("IpRanges", []):
                rules.add((permission["FromPort"], source["CidrIp"]))
        ingress[item["GroupId"]] = rules
    assert ingress[group["LoadBalancer"]] == {(443, "0.0.0.0/0"), (80, "0.0.0.0/0")}
    assert ingress[group["App"]] == {(80, group["LoadBalancer"])}
    assert ingress[group["Database"]] == {(3306, group["App"]), (3306, group["Lambda"])}
    assert ingress[group["Cache"]] == {(6379, group["App"])}
    assert ingress[group["Lambda"]] == set()
    assert not any(port == 22 for rules in ingress.values() for port, _ in rules), "no SSH without the bastion"

    # Egress (moto ignores it, see IGNORED_PROPERTIES): each tier names only the next one.
    groups = resources_of_type(layer("network"), "AWS::EC2::SecurityGroup")

    def egress(name: str) -> set[tuple[int, str]]:
        return {
            (rule["FromPort"], rule.get("DestinationSecurityGroupId", {}).get("Ref") or rule["CidrIp"])
            for rule in groups[name]["Properties"]["SecurityGroupEgress"]
        }

    assert egress("LoadBalancerSecurityGroup") == {(80, "AppSecurityGroup")}
    assert egress("AppSecurityGroup") == {
        (3306, "DatabaseSecurityGroup"),
        (6379, "CacheSecurityGroup"),
        (443, "0.0.0.0/0"),
        (587, "0.0.0.0/0"),
    }
    assert egress("LambdaSecurityGroup") == {(3306, "DatabaseSecurityGroup"), (443, "EndpointSecurityGroup")}
    for closed in ("DatabaseSecurityGroup", "CacheSecurityGroup", "EndpointSecurityGroup"):
        assert egress(closed) == {(252, "127.0.0.1/32")}, f"{closed} keeps no way out"


def test_load_balancer_redirects_http_serves_https_and_checks_health(estate):
    elb = estate.client("elbv2")
    arn = estate.exports()[f"{ESTATE}:LoadBalancerArn"]
    balancer = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
    assert balancer["Scheme"] == "internet-facing"
    assert {zone["SubnetId"] for zone in balancer["AvailabilityZones"]} == set(
        estate.exports()[f"{ESTATE}:PublicSubnetIds"].split(",")
    )
    assert balancer["SecurityGroups"] == [estate.exports()[f"{ESTATE}:LoadBalancerSecurityGroupId"]]
    outputs = layer("app")["Outputs"]  # UNMODELED_ATTRIBUTES: moto cannot answer the full name
    assert outputs["LoadBalancerFullName"]["Value"] == {"Fn::GetAtt": ["LoadBalancer", "LoadBalancerFullName"]}

    listeners = {item["Port"]: item for item in elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]}
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["Certificates"][0]["CertificateArn"] == estate.parameters[f"{ESTATE}-app"]["CertificateArn"]
    assert https["DefaultActions"][0]["Type"] == "forward"
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS" and redirect["RedirectConfig"]["Port"] == "443"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"

    target_group = elb.describe_target_groups(TargetGroupArns=[https["DefaultActions"][0]["TargetGroupArn"]])
    target_group = target_group["TargetGroups"][0]
    assert target_group["HealthCheckPath"] == "/health/"
    assert (target_group["Protocol"], target_group["Port"]) == ("HTTP", 80)
    assert target_group["VpcId"] == estate.exports()[f"{ESTATE}:VpcId"]

    # Attributes moto ignores (IGNORED_PROPERTIES): the idle timeout outlasts quiet WebSockets.
    app = layer("app")
    attributes = {item["Key"]: item["Value"] for item in
                  app["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]}  # fmt: skip
    assert attributes["idle_timeout.timeout_seconds"] == {"Ref": "IdleTimeoutSeconds"}
    assert int(app["Parameters"]["IdleTimeoutSeconds"]["Default"]) >= 3600


def test_web_group_scales_between_one_and_four_over_three_zones_and_beat_is_exactly_one(estate):
    autoscaling = estate.client("autoscaling")
    exports = estate.exports()
    web_name, beat_name = exports[f"{ESTATE}:WebAutoScalingGroupName"], exports[f"{ESTATE}:BeatAutoScalingGroupName"]
    groups = {
        group["AutoScalingGroupName"]: group
        for group in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[web_name, beat_name])[
            "AutoScalingGroups"
        ]
    }
    web, beat = groups[web_name], groups[beat_name]
    app_subnets = set(exports[f"{ESTATE}:AppSubnetIds"].split(","))
    assert (web["MinSize"], web["MaxSize"]) == (1, 4)
    assert set(web["VPCZoneIdentifier"].split(",")) == app_subnets
    assert web["HealthCheckType"] == "ELB"
    assert len(web["TargetGroupARNs"]) == 1
    assert (beat["MinSize"], beat["MaxSize"], beat["DesiredCapacity"]) == (1, 1, 1)
    assert set(beat["VPCZoneIdentifier"].split(",")) == app_subnets
    assert not beat.get("TargetGroupARNs")
    role_tags = {
        name: {tag["Key"]: tag["Value"] for tag in group["Tags"]}.get("strikem-role") for name, group in groups.items()
    }
    assert role_tags == {web_name: "web", beat_name: "beat"}

    # Scaling policies and rolling updates are not modelled by moto: from the template.
    app = layer("app")
    policies = resources_of_type(app, "AWS::AutoScaling::ScalingPolicy")
    tracked = {
        body["Properties"]["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
        for body in policies.values()
        if body["Properties"]["AutoScalingGroupName"] == {"Ref": "WebGroup"}
    }
    assert tracked == {"ASGAverageCPUUtilization", "ALBRequestCountPerTarget"}
    rolling = app["Resources"]["WebGroup"]["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert rolling["MinInstancesInService"] >= 1 and rolling["WaitOnResourceSignals"] is True
    assert app["Resources"]["BeatGroup"]["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 0


def test_instances_boot_with_agents_and_the_env_file_and_a_role_limited_to_the_app(estate):
    ec2, iam = estate.client("ec2"), estate.client("iam")
    template_id = estate.physical_id(f"{ESTATE}-app", "LaunchTemplate")
    version = ec2.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"][0]
    data = version["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["SecurityGroupIds"] == [estate.exports()[f"{ESTATE}:AppSecurityGroupId"]]
    user_data = base64.b64decode(data["UserData"]).decode()
    for needed in ("codedeploy-agent", "amazon-cloudwatch-agent", "/etc/strikem/strikem.env",
                   "get-parameters-by-path", "secretsmanager"):  # fmt: skip
        assert needed in user_data, needed
    assert "${" not in user_data.replace("${!", ""), "every template variable was substituted"
    # The script as an instance would run it: valid bash, and its env writer valid Python.
    subprocess.run(["bash", "-n"], input=user_data, text=True, check=True)
    writer = re.search(r"<<'WRITER'\n(.*?)\nWRITER\n", user_data, re.DOTALL)
    assert writer
    compile(writer[1], "strikem-env", "exec")

    role = estate.exports()[f"{ESTATE}:InstanceRoleName"]
    policy = iam.get_role_policy(RoleName=role, PolicyName="app")["PolicyDocument"]
    if isinstance(policy, str):  # moto hands back a template's inline policy as Python's repr of it
        policy = ast.literal_eval(policy)
    statements = {item["Sid"]: item for item in policy["Statement"]}
    assert "*" not in json.dumps(statements["MediaObjects"]["Resource"]).replace("/*", "")
    assert statements["PublishDomainEvents"]["Action"] == "sns:Publish"
    assert not any(
        action in ("*", "s3:*", "secretsmanager:*", "sns:*")
        for item in policy["Statement"]
        for action in ([item["Action"]] if isinstance(item["Action"], str) else item["Action"])
    )
    # The pipeline stack lets the instances' CodeDeploy agent read its artifacts.
    assert "read-pipeline-artifacts" in iam.list_role_policies(RoleName=role)["PolicyNames"]

    ssm = estate.client("ssm")
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"/{ESTATE}/env/")
    names = {item["Name"].rsplit("/", 1)[1] for page in pages for item in page["Parameters"]}
    assert {"ALLOWED_HOSTS", "REDIS_HOST", "AWS_STORAGE_BUCKET_NAME", "SNS_TOPIC_ARN", "DATABASE_REPLICA_HOST",
            "AWS_S3_CUSTOM_DOMAIN", "TRUSTED_PROXY_CIDR"} <= names  # fmt: skip
    agent = json.loads(ssm.get_parameter(Name=f"{ESTATE}-cloudwatch-agent")["Parameter"]["Value"])
    shipped = {entry["log_group_name"] for entry in agent["logs"]["logs_collected"]["files"]["collect_list"]}
    log_groups = {group["logGroupName"] for group in estate.client("logs").describe_log_groups()["logGroups"]}
    assert shipped <= log_groups


def _role_statements(estate) -> dict[str, dict[str, Any]]:
    role = estate.exports()[f"{ESTATE}:InstanceRoleName"]
    policy = estate.client("iam").get_role_policy(RoleName=role, PolicyName="app")["PolicyDocument"]
    if isinstance(policy, str):  # moto hands back a template's inline policy as Python's repr of it
        policy = ast.literal_eval(policy)
    return {item["Sid"]: item for item in policy["Statement"]}


def test_the_role_may_push_only_through_the_named_platform_applications_and_the_app_is_told_them(estate):
    account = estate.client("sts").get_caller_identity()["Account"]
    prefix = f"arn:aws:sns:{REGION}:{account}"
    statements = _role_statements(estate)
    create = statements["MobilePushEndpointsCreate"]
    assert (create["Effect"], create["Action"]) == ("Allow", "sns:CreatePlatformEndpoint")
    assert create["Resource"] == [f"{prefix}:app/GCM/strikem-fcm", f"{prefix}:app/APNS/strikem-apns"]
    endpoints = statements["MobilePushEndpoints"]
    assert set(endpoints["Action"]) == {
        "sns:GetEndpointAttributes",
        "sns:SetEndpointAttributes",
        "sns:DeleteEndpoint",
        "sns:Publish",
    }
    # Only the endpoints of these two applications: a topic, another application or another account is out.
    assert endpoints["Resource"] == [f"{prefix}:endpoint/GCM/strikem-fcm/*", f"{prefix}:endpoint/APNS/strikem-apns/*"]
    sns_actions = {
        action
        for item in statements.values()
        for action in ([item["Action"]] if isinstance(item["Action"], str) else item["Action"])
        if action.startswith("sns:")
    }
    assert sns_actions == {"sns:Publish"} | set(endpoints["Action"]) | {"sns:CreatePlatformEndpoint"}
    assert statements["PublishDomainEvents"]["Resource"].endswith(":strikem-domain-events")

    value = estate.client("ssm").get_parameter(Name=f"/{ESTATE}/env/SNS_PLATFORM_APPLICATION_ARNS")["Parameter"]
    applications = dict(pair.split("=", 1) for pair in value["Value"].split(","))  # as env.dict reads it
    assert applications == {"FCM": f"{prefix}:app/GCM/strikem-fcm", "APNS": f"{prefix}:app/APNS/strikem-apns"}


def test_without_platform_applications_the_role_gets_no_push_rights_and_the_app_no_arns():
    """The other side of the HasMobilePush condition (the estate above is deployed with both applications)."""
    app = layer("app")
    parameters = app["Parameters"]
    assert parameters["FcmPlatformApplication"]["Default"] == parameters["ApnsPlatformApplication"]["Default"] == ""
    assert app["Resources"]["PlatformApplicationsParameter"]["Condition"] == "HasMobilePush"
    statements = app["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    conditional = {item["Fn::If"][1]["Sid"]: item["Fn::If"] for item in statements if "Fn::If" in item}
    assert set(conditional) == {"MobilePushEndpointsCreate", "MobilePushEndpoints"}
    for condition, _statement, otherwise in conditional.values():
        assert (condition, otherwise) == ("HasMobilePush", {"Ref": "AWS::NoValue"})
    unconditional = [item for item in statements if "Fn::If" not in item]
    assert not any("sns:CreatePlatformEndpoint" in json.dumps(item) for item in unconditional)


def test_database_is_multi_az_encrypted_backed_up_and_protected_with_a_replica(estate):
    rds = estate.client("rds")
    instance_id = estate.exports()[f"{ESTATE}:DatabaseInstanceId"]
    database = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    assert database["Engine"] == "mysql" and database["EngineVersion"].startswith("8.")
    assert database["MultiAZ"] is True
    assert database["StorageEncrypted"] is True
    assert database["BackupRetentionPeriod"] >= 7
    assert database["PubliclyAccessible"] is False
    subnets = {subnet["SubnetIdentifier"] for subnet in database["DBSubnetGroup"]["Subnets"]}
    assert subnets == set(estate.exports()[f"{ESTATE}:DataSubnetIds"].split(","))
    assert database["ReadReplicaDBInstanceIdentifiers"], "ReadReplica=enabled made a replica"
    template = layer("data")["Resources"]
    declared = template["Database"]["Properties"]
    assert declared["DBParameterGroupName"] == {"Ref": "DatabaseParameters"}  # QUIRKS
    # IGNORED_PROPERTIES, from the template:
    assert declared["DeletionProtection"] is True and template["Database"]["DeletionPolicy"] == "Snapshot"
    assert declared["VPCSecurityGroups"] == [{"Fn::ImportValue": {"Fn::Sub": "${EstateName}:DatabaseSecurityGroupId"}}]
    assert declared["MonitoringInterval"] and declared["EnableCloudwatchLogsExports"]
    # The group's physical id is the QUIRKS object too: found by the name moto generates from the logical id.
    groups = rds.describe_db_parameter_groups()["DBParameterGroups"]
    group = next(g["DBParameterGroupName"] for g in groups if "databaseparameters" in g["DBParameterGroupName"])
    values = {
        item["ParameterName"]: item.get("ParameterValue")
        for item in rds.describe_db_parameters(DBParameterGroupName=group)["Parameters"]
    }
    assert values["character_set_server"] == "utf8mb4"
    assert values["collation_server"].startswith("utf8mb4_")


def test_media_bucket_is_private_and_encrypted_and_the_site_record_points_at_the_alb(estate):
    s3 = estate.client("s3")
    bucket = estate.exports()[f"{ESTATE}:MediaBucketName"]
    assert estate.outputs[f"{ESTATE}-edge"]["MediaBucketName"] == bucket
    declared = layer("edge")["Resources"]["MediaBucket"]["Properties"]  # IGNORED_PROPERTIES
    block = declared["PublicAccessBlockConfiguration"]
    assert len(block) == 4 and all(block.values())
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    zone_id = estate.parameters[f"{ESTATE}-edge"]["HostedZoneId"]
    records = estate.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    site = next(record for record in records if record["Name"].rstrip(".") == "strikem.example.com")
    assert site["Type"] == "A"
    assert site["AliasTarget"]["DNSName"].rstrip(".") == estate.exports()[f"{ESTATE}:LoadBalancerDnsName"]


def _resolver(estate: Estate, stack: str, template: dict[str, Any]):
    """Resolves the intrinsics of an observability-style resource against the deployed stack."""
    exports = estate.exports()
    parameters = (
        {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
        | estate.parameters[stack]
        | {"AWS::Region": REGION}
    )

    def reference(name: str) -> str:
        return parameters[name] if name in parameters else estate.physical_id(stack, name)

    def sub(text: str, extra: dict[str, str]) -> str:
        return re.sub(r"\$\{([A-Za-z0-9:]+)\}", lambda m: extra.get(m[1]) or reference(m[1]), text)

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "Ref" in node:
            return reference(node["Ref"])
        if "Fn::ImportValue" in node:
            return exports[resolve(node["Fn::ImportValue"])]
        if "Fn::Sub" in node:
            body = node["Fn::Sub"]
            if isinstance(body, str):
                return sub(body, {})
            return sub(body[0], {key: resolve(value) for key, value in body[1].items()})
        return {key: resolve(value) for key, value in node.items()}

    return resolve


_NUMBERS = {"Threshold": float, "Period": int, "EvaluationPeriods": int}


def test_alarms_watch_the_estates_real_resources_and_notify_the_alerts_topic(estate):
    stack = f"{ESTATE}-observability"
    template = layer("observability")
    resolve = _resolver(estate, stack, template)
    cloudwatch = estate.client("cloudwatch")
    declared = resources_of_type(template, "AWS::CloudWatch::Alarm")
    for body in declared.values():
        properties = resolve(body["Properties"])
        for key, kind in _NUMBERS.items():
            if key in properties:
                properties[key] = kind(properties[key])
        for query in properties.get("Metrics", []):
            if "MetricStat" in query:
                query["MetricStat"]["Period"] = int(query["MetricStat"]["Period"])
        cloudwatch.put_metric_alarm(**properties)

    alarms = {alarm["AlarmName"]: alarm for alarm in cloudwatch.describe_alarms()["MetricAlarms"]}
    expected = {f"{ESTATE}-{name}" for name in (
        "alb-5xx", "alb-p99-latency", "unhealthy-hosts", "no-healthy-host", "beat-missing", "db-cpu",
        "db-free-storage", "db-connections", "redis-memory", "redis-evictions", "outbox-backlog")}  # fmt: skip
    assert expected <= set(alarms)
    topic = estate.exports()[f"{ESTATE}:AlertsTopicArn"]
    assert topic in {item["TopicArn"] for item in estate.client("sns").list_topics()["Topics"]}
    for name in expected:
        assert alarms[name]["AlarmActions"] == [topic], name

    def dimensions(alarm: dict[str, Any]) -> dict[str, str]:
        found = {item["Name"]: item["Value"] for item in alarm.get("Dimensions", [])}
        for query in alarm.get("Metrics", []):
            for item in query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", []):
                found[item["Name"]] = item["Value"]
        return found

    # The ALB's full name is an UNMODELED_ATTRIBUTE in moto: the alarm carries the app stack's export of it.
    assert (
        dimensions(alarms[f"{ESTATE}-alb-p99-latency"])["LoadBalancer"]
        == estate.exports()[f"{ESTATE}:LoadBalancerFullName"]
    )
    assert alarms[f"{ESTATE}-alb-p99-latency"]["ExtendedStatistic"] == "p99"
    database = dimensions(alarms[f"{ESTATE}-db-cpu"])["DBInstanceIdentifier"]
    assert estate.client("rds").describe_db_instances(DBInstanceIdentifier=database)["DBInstances"]
    beat = dimensions(alarms[f"{ESTATE}-beat-missing"])["AutoScalingGroupName"]
    assert estate.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[beat])["AutoScalingGroups"]

    # The outbox alarm watches the metric the app serves at /metrics, as the CloudWatch agent names it.
    served = re.search(r'GaugeMetricFamily\(\s*"(\w+)"', (ROOT / "apps/core/observability.py").read_text())
    assert served and "backlog" in served[1]
    outbox = alarms[f"{ESTATE}-outbox-backlog"]
    agent = json.loads(estate.client("ssm").get_parameter(Name=f"{ESTATE}-cloudwatch-agent")["Parameter"]["Value"])
    emf = agent["logs"]["logs_collected"]["prometheus"]["emf_processor"]
    assert outbox["MetricName"] == served[1] and re.fullmatch(emf["metric_declaration"][0]["metric_selectors"][0]
                                                              .strip("^$"), served[1])  # fmt: skip
    assert outbox["Namespace"] == emf["metric_namespace"]
    assert dimensions(outbox) == {"job": "strikem"}
    assert estate.client("cloudwatch").list_dashboards()["DashboardEntries"][0]["DashboardName"] == ESTATE


def test_unmodeled_parts_are_declared_as_required():
    data = layer("data")["Resources"]
    cache = data["Cache"]["Properties"]
    assert cache["AutomaticFailoverEnabled"] and cache["MultiAZEnabled"] and cache["NumCacheClusters"] >= 2
    assert cache["TransitEncryptionEnabled"] and cache["AtRestEncryptionEnabled"]
    assert "{{resolve:secretsmanager:${CacheAuthSecret}" in cache["AuthToken"]["Fn::Sub"]
    rotation = data["DatabaseSecretRotation"]["Properties"]
    assert rotation["SecretId"] == {"Ref": "DatabaseSecret"} and rotation["HostedRotationLambda"]["RotationType"]
    password = data["Database"]["Properties"]["MasterUserPassword"]["Fn::Sub"]
    assert "{{resolve:secretsmanager:${DatabaseSecret}" in password

    edge = layer("edge")["Resources"]
    origin = edge["MediaDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["MediaOriginAccess", "Id"]}
    allow = edge["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    rules = {rule["Name"]: rule for rule in edge["WebAcl"]["Properties"]["Rules"]}
    assert rules["aws-common"]["Statement"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesCommonRuleSet"
    assert edge["WebAclOnLoadBalancer"]["Properties"]["ResourceArn"] == {
        "Fn::ImportValue": {"Fn::Sub": "${EstateName}:LoadBalancerArn"}
    }

    # The rate-limited paths are the app's own routes (apps/accounts/urls.py, mounted in strikem/urls.py).
    def searched(rule: dict[str, Any]) -> set[str]:
        scope = rule["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
        statements = (scope.get("AndStatement") or scope.get("OrStatement"))["Statements"]
        return {item["ByteMatchStatement"]["SearchString"] for item in statements}

    routes = (ROOT / "apps/accounts/urls.py").read_text()
    assert searched(rules["login-rate"]) == {"POST", "/auth/jwt/create"}
    assert 'route("jwt/create/"' in routes and 'path("auth/"' in (ROOT / "strikem/urls.py").read_text()
    code_paths = searched(rules["code-rate"])
    assert code_paths
    for path in code_paths:
        assert path.startswith("/users/") and f'route("{path.removeprefix("/users/")}/"' in routes, path

    # lambdas/template.yaml (SAM): every dead-letter queue and function alarms on the estate's topic.
    lambdas = load(ROOT / "lambdas" / "template.yaml")
    alarms = resources_of_type(lambdas, "AWS::CloudWatch::Alarm")
    watched = set()
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Fn::ImportValue": {"Fn::Sub": "${EstateName}:AlertsTopicArn"}}]
        value = alarm["Properties"]["Dimensions"][0]["Value"]
        watched.add(value.get("Ref") or value["Fn::GetAtt"][0])
    queues = {name for name in resources_of_type(lambdas, "AWS::SQS::Queue") if "DeadLetter" in name}
    functions = set(resources_of_type(lambdas, "AWS::Serverless::Function"))
    assert queues and functions and watched == queues | functions


def test_the_moto_stand_ins_only_cover_types_the_templates_use():
    used = {
        body["Type"]
        for path in [*ESTATE_DIR.glob("*.yaml"), ROOT / "deploy" / "pipeline.yaml"]
        for body in load(path)["Resources"].values()
    }
    assert set(UNMODELED) <= used, f"stale entries: {set(UNMODELED) - used}"

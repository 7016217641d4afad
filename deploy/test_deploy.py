"""Checks that the template, scripts/package.sh, check_package.py and the README's
"Deploy to AWS" agree with each other. Needs cfn-lint (in target/venv):

    target/venv/bin/python -m unittest discover -s deploy
"""

import re
import unittest
from pathlib import Path

from cfnlint.decode import cfn_yaml
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

import check_package

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = cfn_yaml.load(str(ROOT / "deploy" / "template.yaml"))
FUNCTION = TEMPLATE["Resources"]["DiceFunction"]["Properties"]
PACKAGE_SH = (ROOT / "scripts" / "package.sh").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def elf_header(machine: int) -> bytes:
    """The first 64 bytes of a little-endian 64-bit ELF executable for `machine`."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + (2).to_bytes(2, "little") + machine.to_bytes(2, "little") + bytes(44)


class TheTemplateDeploysWhatPackageShBuilds(unittest.TestCase):
    def test_the_code_uri_is_the_zip_package_sh_writes_whatever_the_architecture(self):
        out = re.search(r"^out=(\S+)$", PACKAGE_SH, re.M)[1]
        lambda_dir = re.search(r"--lambda-dir (\S+)", PACKAGE_SH)[1]
        self.assertNotIn("$", out + lambda_dir, "the path must not depend on the architecture")
        self.assertEqual(Path(lambda_dir) / "bootstrap", Path(out), "cargo lambda writes DIR/bootstrap")
        code_uri = (ROOT / "deploy" / FUNCTION["CodeUri"]).resolve()
        self.assertEqual(code_uri, (ROOT / out / "bootstrap.zip").resolve())

    def test_the_architectures_are_those_package_sh_builds_and_checks(self):
        allowed = TEMPLATE["Parameters"]["Architecture"]["AllowedValues"]
        built = re.findall(r"^\s+(\w+)\) flag=", PACKAGE_SH, re.M)
        self.assertEqual(sorted(allowed), sorted(built))
        self.assertEqual(sorted(allowed), sorted(check_package.ELF_MACHINES))
        self.assertEqual(FUNCTION["Architectures"], [{"Ref": "Architecture"}])

    def test_by_default_no_concurrency_is_reserved(self):
        self.assertEqual(int(TEMPLATE["Parameters"]["ReservedConcurrency"]["Default"]), 0)
        self.assertEqual(
            TEMPLATE["Conditions"]["ReserveConcurrency"],
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, "0"]}]},
        )
        self.assertEqual(
            FUNCTION["ReservedConcurrentExecutions"],
            {"Fn::If": ["ReserveConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]},
        )


class TheReadmeUsesOnlyOutputsTheStackHas(unittest.TestCase):
    def test_every_output_the_deploy_section_reads_exists(self):
        start = README.index("## Deploy to AWS")
        section = README[start : README.index("\n## ", start)]
        used = set(re.findall(r"\$\(out (\w+)\)", section)) | set(re.findall(r"\bsecret ([A-Z]\w+)", section))
        # The reader found the outputs the steps are known to read (keys go through dice-keys).
        self.assertGreaterEqual(used, {"ApiUrl", "ClusterEndpoint", "DatabaseSecurityGroupId"})
        self.assertEqual(used - set(TEMPLATE["Outputs"]), set())


class TheFunctionLogsInWithIamAndReachesOnlyTheDatabase(unittest.TestCase):
    RESOURCES = TEMPLATE["Resources"]

    def statements(self):
        return [s for policy in FUNCTION["Policies"] for s in policy["Statement"]]

    def test_the_cluster_takes_iam_tokens(self):
        self.assertIs(self.RESOURCES["Cluster"]["Properties"]["EnableIAMDatabaseAuthentication"], True)

    def test_the_function_may_connect_as_its_own_user_on_this_cluster_and_nothing_else_of_aws(self):
        connect = [s for s in self.statements() if s["Action"] == "rds-db:connect"]
        self.assertEqual(len(connect), 1)
        self.assertEqual(connect[0]["Effect"], "Allow")
        self.assertEqual(
            connect[0]["Resource"],
            {
                "Fn::Sub": "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:"
                "${Cluster.DBClusterResourceId}/${AppUsername}"
            },
        )
        # The attribute the ARN names is one the cluster has (cfn-lint's schema).
        cluster = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::RDS::DBCluster")
        self.assertIn("/properties/DBClusterResourceId", cluster.schema["readOnlyProperties"])
        actions = {a for s in self.statements() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        self.assertEqual({a.split(":")[0] for a in actions}, {"rds-db", "ec2"}, "only the token and the VPC's network interfaces")

    def test_no_secret_layer_or_endpoint_remains(self):
        kinds = {r["Type"] for r in self.RESOURCES.values()}
        self.assertFalse(kinds & {"AWS::SecretsManager::Secret", "AWS::EC2::VPCEndpoint"}, kinds)
        self.assertNotIn("Layers", FUNCTION)
        self.assertFalse(set(TEMPLATE["Parameters"]) & {"SecretsExtensionLayerArn", "CreateSecretsManagerEndpoint"})
        self.assertNotIn("DB_SECRET_ARN", FUNCTION["Environment"]["Variables"])

    def test_the_function_logs_in_with_iam_over_verified_tls(self):
        env = FUNCTION["Environment"]["Variables"]
        self.assertEqual(env["DB_AUTH"], "iam")
        self.assertEqual(env["DB_TLS"], "verify")
        self.assertEqual(env["DB_TLS_CA"], "/var/task/global-bundle.pem")
        self.assertEqual(env["DB_USER"], {"Ref": "AppUsername"})
        self.assertNotIn("DB_PASS", env)

    def test_the_functions_only_way_out_is_3306_to_the_database(self):
        group = self.RESOURCES["FunctionSecurityGroup"]["Properties"]
        self.assertEqual(
            group["SecurityGroupEgress"],
            [
                {
                    "Description": "MySQL to the cluster",
                    "IpProtocol": "tcp",
                    "FromPort": 3306,
                    "ToPort": 3306,
                    "DestinationSecurityGroupId": {"Ref": "DatabaseSecurityGroup"},
                }
            ],
        )
        extra = [
            name
            for name, r in self.RESOURCES.items()
            if r["Type"] == "AWS::EC2::SecurityGroupEgress"
            and r["Properties"]["GroupId"] == {"Ref": "FunctionSecurityGroup"}
        ]
        self.assertEqual(extra, [])


class CheckPackageReadsTheArchitecture(unittest.TestCase):
    def test_x86_64_and_aarch64_binaries_are_told_apart(self):
        self.assertEqual(check_package.elf_architecture(elf_header(62)), "x86_64")
        self.assertEqual(check_package.elf_architecture(elf_header(183)), "arm64")

    def test_another_machine_or_a_non_elf_file_is_named_as_such(self):
        self.assertEqual(check_package.elf_architecture(elf_header(40)), "ELF machine 40")
        self.assertEqual(check_package.elf_architecture(b"#!/bin/sh\n" + bytes(60)), "not a little-endian ELF file")


if __name__ == "__main__":
    unittest.main()

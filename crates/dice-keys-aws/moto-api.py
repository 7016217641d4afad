"""Makes, in the moto server at AWS_ENDPOINT_URL, a REST API shaped like the
template's (a method that needs an API key, deployed to the stage prod) and
prints its id: something for `dice-keys --rest-api-id` to manage without AWS.
"""
import boto3

client = boto3.client("apigateway")
api = client.create_rest_api(name="dice")["id"]
root = client.get_resources(restApiId=api)["items"][0]["id"]
client.put_method(restApiId=api, resourceId=root, httpMethod="POST",
                  authorizationType="NONE", apiKeyRequired=True)
client.put_integration(restApiId=api, resourceId=root, httpMethod="POST", type="MOCK")
client.create_deployment(restApiId=api, stageName="prod")
print(api)

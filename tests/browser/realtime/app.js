// Subscribes with the PocketBase JS SDK to every record of the collection named in the URL's
// hash (#posts) and lists each event as "<action> <title>", in arrival order.
const pb = new PocketBase(location.origin);
const collection = location.hash.slice(1);
const list = document.getElementById("events");
const status = document.getElementById("status");

pb.collection(collection)
  .subscribe("*", (event) => {
    const item = document.createElement("li");
    item.textContent = `${event.action} ${event.record.title}`;
    list.append(item);
  })
  .then(() => {
    status.textContent = "subscribed";
  })
  .catch((error) => {
    status.textContent = `failed: ${error}`;
  });
